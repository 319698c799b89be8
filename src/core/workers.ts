/**
 * @module core/workers
 * The worker registry: each process that executes steps (a `baton worker`,
 * or the worker inside a `baton server`) registers itself at start, beats
 * with its lease heartbeat, and marks itself stopped when it stops cleanly.
 *
 * A worker's state, on the store's clock:
 *   live    --no beat for longer than its lease--> lost   (killed, frozen, cut off)
 *   live | lost --clean stop--> stopped
 *   lost    --a beat comes again--> live
 * A lost worker's leases have lapsed by definition (each beat renews them
 * for one lease), so the steps it held go back to ready at the next sweep.
 * Rows of workers stopped or lost for longer than WORKER_ROW_TTL_MS are
 * removed when another worker registers.
 */

export const WORKER_STATES = ['live', 'lost', 'stopped'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** A day: how long a stopped or lost worker stays listed. */
export const WORKER_ROW_TTL_MS = 24 * 60 * 60 * 1000;

/** What a worker says of itself when it registers. */
export interface WorkerInfo {
  /** Its owner id: the one it puts on the leases and runs it claims. */
  id: string;
  host: string;
  pid: number;
  /** Steps at once. */
  capacity: number;
  /** Its lease: a worker not seen for this long is lost. */
  leaseMs: number;
  /** The baton version it runs, when known. */
  version?: string;
}

/** A step whose lease a worker holds now. */
export interface HeldStep {
  runId: string;
  workflow: string;
  stepId: string;
  kind: string;
  attempt: number;
  /** When this attempt started. */
  startedAt: number | null;
}

/** A code run a worker executes now (taken whole, under a run lease). */
export interface HeldRun {
  runId: string;
  workflow: string;
  status: string;
}

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  capacity: number;
  leaseMs: number;
  version: string | null;
  startedAt: number;
  /** Its last heartbeat. */
  seenAt: number;
  stoppedAt: number | null;
  state: WorkerState;
  held: HeldStep[];
  heldRuns: HeldRun[];
}

/** Workers as the store lists them, and the store's time at that reading (ages are measured from it). */
export interface WorkerList {
  now: number;
  workers: WorkerView[];
}

/** The state of a worker row at `now` (the rule above; both stores also say it in SQL, to sort by it). */
export function workerState(row: { seenAt: number; stoppedAt: number | null; leaseMs: number }, now: number): WorkerState {
  if (row.stoppedAt !== null) return 'stopped';
  return row.seenAt < now - row.leaseMs ? 'lost' : 'live';
}
