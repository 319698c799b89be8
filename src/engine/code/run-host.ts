/**
 * @module engine/code/run-host
 * What the parts of a code run share: the store and the owner it writes as,
 * time, the live events, the log, and the accounting that lets the run know
 * when it is idle (every branch waits) and when its writes have failed.
 */
import type { Clock, Timers } from '../../core/clock.js';
import type { EngineEventMap } from '../../core/events.js';
import type { Random } from '../../core/retry.js';
import type { StepContext } from '../../core/workflow-code.js';
import type { Store, Stream } from '../../store/store.js';

export type Emit = <K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]) => void;

/** What a test harness may put in place of a step, a compensation, a command or a file task. */
export interface InterceptCall {
  runId: string;
  workflow: string;
  kind: 'step' | 'compensate' | 'exec' | 'task';
  name: string;
  attempt: number;
}
export type Intercept = (call: InterceptCall) => ((ctx: StepContext) => unknown) | undefined;

export interface RunHost {
  readonly runId: string;
  readonly workflow: string;
  readonly owner: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly emit: Emit;
  readonly intercept: Intercept | undefined;
  /** Aborted when the run stops (cancel, run timeout, a fatal error). */
  readonly stopSignal: AbortSignal;
  /** Call `listener` when the run stops; returns a function that removes it (cheaper than an abort listener). */
  onStop(listener: (reason: Error) => void): () => void;
  /** Steps and compensations executing now. */
  active: number;
  log(stepId: string, attempt: number, stream: Stream, line: string): void;
  /** A write not awaited: its failure (or a refusal) stops the run. */
  write(p: Promise<boolean>): void;
  /** A write awaited: its failure (or a refusal) stops the run. */
  mustWrite(p: Promise<boolean>): Promise<void>;
}
