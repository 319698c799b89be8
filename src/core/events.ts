/**
 * @module core/events
 * The live events an engine emits while it drives runs (`noun:verb`). The
 * durable history is the store's event table; these are for watchers (the
 * CLI's live view, later the server's SSE stream).
 */
import type { RunStatus, StepKind, StepStatus } from './states.js';

export interface EngineEventMap {
  'run:started': { runId: string; workflow: string; steps: number; resumed: boolean };
  /** Created over a concurrency limit: it starts when a run holding the limit ends. */
  'run:queued': { runId: string; workflow: string; waitingFor: string[] };
  'step:started': { runId: string; stepId: string; kind: StepKind; attempt: number; at: number };
  'step:log': { runId: string; stepId: string; attempt: number; stream: 'stdout' | 'stderr' | 'system'; line: string; at: number };
  'step:finished': {
    runId: string;
    stepId: string;
    kind: StepKind;
    attempt: number;
    status: StepStatus;
    exitCode: number | null;
    error?: string;
    retryAt?: number;
    at: number;
  };
  'step:cancelled': { runId: string; stepIds: string[] };
  'run:finished': { runId: string; status: RunStatus; error: string | null };
}

export type EngineEventName = keyof EngineEventMap;
