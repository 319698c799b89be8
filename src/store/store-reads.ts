/**
 * @module store/store-reads
 * What the Store's reads return (runs, steps, attempts, events, log lines)
 * and how runs and logs are queried. store.ts re-exports them with the
 * interface.
 */
import type { RunTrigger } from '../core/run-trigger.js';
import type { RunDefinition } from '../core/workflow-code.js';
import type { AttemptStatus, RunStatus, StepKind, StepStatus } from '../core/states.js';

export interface RunRow {
  id: string;
  workflow: string;
  status: RunStatus;
  /** 1 for the first execution, +1 for each `retry`. */
  runAttempt: number;
  input: unknown;
  definition: RunDefinition;
  parentId: string | null;
  /** A waiting code run's next due time. */
  wakeAt: number | null;
  /** A worker's run lease on a code run it executes (null: none, or driven by the process that started it). */
  leaseUntil: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  owner: string | null;
  error: string | null;
  thenStatus: RunStatus | null;
  priority: number;
  /** What started it: a person or client, a schedule, an event, or a parent run. */
  trigger: RunTrigger;
}

export interface SettleFacts {
  status: RunStatus;
  thenStatus: RunStatus | null;
  error: string | null;
  /** Ids of the run's tasks that failed (no retry left), in the steps' order. */
  failedTasks: string[];
}

export interface StepRow {
  runId: string;
  id: string;
  kind: StepKind;
  status: StepStatus;
  attempt: number;
  failures: number;
  exitCode: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  readyAt: number | null;
  outputs: Record<string, string>;
  error: string | null;
  /** Order in which steps succeeded (for rollback order); null if not succeeded. */
  completedSeq: number | null;
  dependsOn: string[];
  target: string | null;
  /** Code runs: the step's name (its id adds an occurrence suffix) and its journaled JSON result. */
  name: string | null;
  result: string | null;
  /** The resource pool it takes a slot of. */
  pool: string | null;
}

export interface AttemptRow {
  runId: string;
  stepId: string;
  attempt: number;
  status: AttemptStatus;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  error: string | null;
  owner: string;
}

export interface EventRow {
  runId: string;
  seq: number;
  at: number;
  type: string;
  stepId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

export type Stream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  runId: string;
  stepId: string;
  attempt: number;
  stream: Stream;
  at: number;
  line: string;
}

export interface LogQuery {
  runId: string;
  stepId?: string;
  attempt?: number;
  afterSeq?: number;
  limit?: number;
}

export interface StoredLogLine extends LogLine {
  seq: number;
}

export interface RunQuery {
  workflow?: string;
  status?: RunStatus;
  limit?: number;
  /** Runs created before this run id's creation (paging, newest first). */
  before?: string;
  /** Runs created at or after this time (ms since the epoch). */
  since?: number;
  /** Runs created before this time (ms since the epoch). */
  until?: number;
  /** Runs whose id starts with this text, or whose input's JSON contains it (case-insensitive). */
  search?: string;
  /** Runs started this way (see RunTrigger). */
  trigger?: RunTrigger;
}

/** A run as lists show it. */
export type ListedRun = RunRow;
