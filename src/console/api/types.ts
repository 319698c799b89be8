/**
 * @module console/api/types
 * The shapes the console reads from the baton HTTP API (schema/openapi.json).
 * Written here rather than imported from server/: the console talks to the
 * server over HTTP only, like any other client (DESIGN.md §2).
 */

export type Role = 'viewer' | 'operator' | 'admin';

export type RunStatus = 'queued' | 'running' | 'waiting' | 'compensating' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export type StepStatus = 'pending' | 'ready' | 'running' | 'waiting' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'compensated';
export type Trigger = 'manual' | 'schedule' | 'event' | 'parent';

export const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'waiting', 'compensating', 'succeeded', 'failed', 'cancelled', 'timed_out'];
export const TRIGGERS: Trigger[] = ['manual', 'schedule', 'event', 'parent'];
export const FINAL_RUN: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

export interface WhoAmI {
  id: string;
  name: string;
  role: Role;
  version: string;
}

export interface Run {
  id: string;
  workflow: string;
  status: RunStatus;
  runAttempt: number;
  input: unknown;
  /** A code run's is `{kind: 'code', ...}`; a file run's is its workflow definition. */
  definition?: { kind?: string };
  parentId: string | null;
  wakeAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** Present in run lists. */
  trigger?: Trigger;
}

export interface Step {
  id: string;
  kind: 'task' | 'rollback' | 'step' | 'sleep' | 'signal' | 'child' | 'value' | 'compensate';
  status: StepStatus;
  attempt: number;
  failures: number;
  exitCode: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  readyAt: number | null;
  outputs: Record<string, string>;
  error: string | null;
  dependsOn: string[];
  target: string | null;
  name: string | null;
  result: string | null;
}

export interface Attempt {
  stepId: string;
  attempt: number;
  status: 'running' | 'succeeded' | 'failed' | 'crashed' | 'cancelled';
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  error: string | null;
}

export interface RunDetail {
  run: Run;
  steps: Step[];
  attempts: Attempt[];
  result: string | null;
  userStatus: string | null;
}

export interface RunEvent {
  seq: number;
  at: number;
  type: string;
  stepId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

export interface LogLine {
  seq: number;
  stepId: string;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'system';
  at: number;
  line: string;
}

export interface InputDef {
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  description?: string;
  enum?: Array<string | number | boolean>;
  required: boolean;
}

export interface Workflow {
  name: string;
  kind: 'file' | 'code';
  file: string;
  inputs: Record<string, InputDef>;
  tasks: Array<{ id: string; dependsOn: string[] }>;
  schedules: Array<{ id: string }>;
  events: Array<{ type: string; if?: string }>;
  quietHours?: { windows: Array<{ days: number[]; fromMin: number; toMin: number; timezone: string }>; action: 'defer' | 'skip' };
  source?: string;
}

export interface Schedule {
  workflow: string;
  id: string;
  when: string;
  timezone: string;
  catchUp: string;
  overlap: string;
  jitterMs: number;
  paused: boolean;
  next: string[];
  last: Array<{ dueAt: string; outcome: string; runId: string | null }>;
  week: { from: string; until: string; fires: string[]; more: boolean; quiet: Array<{ from: string; until: string }>; quietAction: 'defer' | 'skip' | null };
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** GET /api/workflows/:name/stats (core/workflow-stats.ts). */
export interface WorkflowStats {
  runs: number;
  finished: number;
  failureRate: number | null;
  durationMs: Percentiles | null;
  steps: Array<{ id: string; attempts: number; failed: number; retried: number; durationMs: Percentiles | null; waitMs: Percentiles | null }>;
}

export type WorkerState = 'live' | 'lost' | 'stopped';

/** A process that executes steps (GET /api/workers). */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  capacity: number;
  leaseMs: number;
  version: string | null;
  startedAt: number;
  seenAt: number;
  stoppedAt: number | null;
  state: WorkerState;
  held: Array<{ runId: string; workflow: string; stepId: string; kind: string; attempt: number; startedAt: number | null }>;
  heldRuns: Array<{ runId: string; workflow: string; status: RunStatus }>;
}

export interface WorkerList {
  /** The store's time when it listed them: ages are measured from it, not from this browser's clock. */
  now: number;
  workers: WorkerInfo[];
}
