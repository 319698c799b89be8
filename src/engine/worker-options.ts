/**
 * @module engine/worker-options
 * What a worker is started with, and `baton worker`'s defaults (worker.ts
 * re-exports both).
 */
import type { WorkflowDef } from '../core/model.js';

export interface WorkerOptions {
  /** Steps at once. */
  concurrency: number;
  /**
   * The most steps held beyond the concurrency, claimed ahead while steps are
   * shorter than a round trip to the store (claim-ahead.ts); 0 turns it off.
   */
  claimAhead?: number;
  /** A step claimed ahead that waits this long for a slot goes back to the store for any worker (give-back.ts). */
  claimAheadTtlMs?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  sweepMs?: number;
  /** The fallback check for work when no notification came. */
  pollMs?: number;
  /** Code runs in hand at once (each is a function awaiting its steps and waits). */
  maxCodeRuns?: number;
  /** Values of a workflow's secrets, from this worker's environment. */
  secretsFor?: (def: WorkflowDef) => Record<string, string>;
  /** A problem the worker goes on after (a failed claim, a lost connection). */
  onWarning?: (message: string) => void;
  /** How it lists itself in the worker registry (default: this machine's name and this process's pid). */
  identity?: { host?: string; pid?: number; version?: string };
}

/** What `baton worker` runs with unless told otherwise. */
export const WORKER_DEFAULTS = { concurrency: 8, claimAhead: 500, claimAheadTtlMs: 250, leaseMs: 30_000, sweepMs: 5000 } as const;
