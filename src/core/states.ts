/**
 * @module core/states
 * The step and run state machines. The store is the only door that changes a
 * state (a guarded SQL write); this module is the written-down rule it follows
 * and the list of what counts as final.
 *
 * Step:
 *   pending --deps met--> ready --claimed--> running --ok--> succeeded
 *   pending --deps met, its pool full--> queued --a slot frees--> ready   (core/flow)
 *   running --error, attempts left--> retrying --due--> (claimable as ready)
 *   running --error, none left--> failed
 *   running --lease lost / process died--> ready   (attempt recorded as crashed)
 *   ready --upstream not ok, or `if` false--> skipped
 *   any non-final --run cancelled--> cancelled
 *   failed | skipped | cancelled | compensated --run retried--> pending | ready
 *   succeeded --run failed, rollback ran--> compensated
 *   (code runs) waiting: a sleep, a signal wait or a child run, until due
 *
 * Run:
 *   queued -> running -> succeeded | failed | cancelled | timed_out
 *     (queued while a concurrency limit it is under is full: core/flow)
 *   running <-> waiting   (code runs: every branch sleeps or waits for a signal or child)
 *   running -> compensating -> failed | cancelled | timed_out
 *   failed | cancelled | timed_out --retry--> running
 */

export const STEP_STATUSES = [
  'pending',
  'queued',
  'ready',
  'running',
  'waiting',
  'retrying',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
  'compensated',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'compensating',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const FINAL_STEP: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled', 'compensated']);
const FINAL_RUN: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

export function isFinalStep(s: StepStatus): boolean {
  return FINAL_STEP.has(s);
}

export function isFinalRun(s: RunStatus): boolean {
  return FINAL_RUN.has(s);
}

/** How an attempt ended. `crashed`: its process died or lost its lease before recording an outcome. */
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'crashed' | 'cancelled';

/**
 * Kinds of step: a task of the graph, or the rollback of a succeeded task;
 * in a code run's journal, a step, a wait (sleep, signal, child run), a
 * journaled value (now, random, uuid) or the compensation of a step.
 */
export type StepKind = 'task' | 'rollback' | 'step' | 'sleep' | 'signal' | 'child' | 'value' | 'compensate';
