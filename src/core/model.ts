/**
 * @module core/model
 * The compiled workflow model: what a loaded file (or, later, code) turns into.
 * Plain data, JSON-serialisable, so a run can keep a snapshot of its definition
 * and resume without the file it came from.
 */
import type { QuietHoursDef } from './quiet-hours.js';

export type InputType = 'string' | 'number' | 'boolean';
export type InputValue = string | number | boolean;

export interface InputDef {
  type: InputType;
  default?: InputValue;
  description?: string;
  enum?: InputValue[];
  required: boolean;
}

export type Backoff = 'exponential' | 'linear' | 'fixed';

export interface RetryPolicy {
  /** Total attempts, first one included (retries: 2 -> attempts: 3). */
  attempts: number;
  backoff: Backoff;
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 'full' draws the delay uniformly in [0, computed]; 'none' waits exactly computed. */
  jitter: 'full' | 'none';
  /** Exit codes that fail the step at once, whatever attempts are left. */
  nonRetryableExitCodes: number[];
}

export interface TaskDef {
  id: string;
  /** Runs under `/bin/sh -c`; `${{ expr }}` is replaced by the shell-quoted value. */
  command?: string;
  /** Runs without a shell; `${{ expr }}` in an element is replaced verbatim. */
  args?: string[];
  /** A workflow run as a child (a code module or a file, by path or name, relative to the workflow file). */
  workflow?: string;
  /** `path/to/module.ts#export`: a function called in-process with `input`. */
  function?: string;
  /** The input of `workflow` or `function`; `${{ expr }}` in its strings is replaced verbatim. */
  input?: Record<string, unknown>;
  dependsOn: string[];
  retry: RetryPolicy;
  timeoutMs?: number;
  if?: string;
  env: Record<string, string>;
  cwd?: string;
  rollback?: string;
  healthCheck?: string;
  /** Failure rehearsal: each attempt is delayed by up to latencyMs and fails with probability failureRate. */
  chaos?: ChaosDef;
  /** A named resource pool: the task takes one of its slots while it is ready, running or retrying. */
  pool?: string;
  /** Higher first, among tasks waiting for the same pool (default: the workflow's priority). */
  priority?: number;
}

/** The run side of `concurrency: {runs, key, limit}`. */
export interface RunConcurrency {
  /** Runs of this workflow at once. */
  runs?: number;
  /** A template over inputs (`${{ inputs.customer }}`): runs with the same value share `limit` slots. */
  key?: string;
  /** Runs at once per key value (default 1). */
  limit?: number;
}

export interface ChaosDef {
  /** 0..1 */
  failureRate: number;
  latencyMs: number;
}

export interface WorkflowDef {
  name: string;
  /** Absolute path of the file it was loaded from, when there is one. */
  source?: string;
  /** The directory commands run in; set when a run starts, kept in the run's snapshot. */
  workdir?: string;
  inputs: Record<string, InputDef>;
  env: Record<string, string>;
  /** Names of environment variables whose values are secrets: passed to tasks, masked in logs. */
  secrets: string[];
  /** Tasks at once in one run. */
  concurrency?: number;
  /** Runs at once: of this workflow, and of runs that share a key. */
  runConcurrency?: RunConcurrency;
  /** Higher first: runs waiting for a concurrency slot, tasks waiting for a pool. Default 0. */
  priority?: number;
  timeoutMs?: number;
  failFast: boolean;
  /** No work starts in these windows: runs and retries wait for their end, or are skipped. */
  quietHours?: QuietHoursDef;
  tasks: TaskDef[];
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 1,
  backoff: 'exponential',
  initialMs: 1000,
  maxMs: 60_000,
  factor: 2,
  jitter: 'full',
  nonRetryableExitCodes: [],
};
