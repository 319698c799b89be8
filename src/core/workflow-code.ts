/**
 * @module core/workflow-code
 * The shape of a workflow written as code: `defineWorkflow(name, fn)`, the
 * context a workflow function receives, and the options its calls take.
 * Pure declarations and the registry of defined workflows; the engine's
 * code runner (engine/code/) is what makes the function durable.
 */
import { DEFAULT_RETRY, type Backoff, type RetryPolicy, type WorkflowDef } from './model.js';
import { parseDuration } from './duration.js';
import { BatonError } from './errors.js';

/** A duration: `'30s'`, `'1h30m'`, or a number of milliseconds. */
export type Duration = string | number;

export interface RetryOptions {
  /** Total attempts, the first one included (default 1: no retry). */
  attempts?: number;
  backoff?: Backoff;
  initial?: Duration;
  max?: Duration;
  factor?: number;
  jitter?: boolean;
}

/** What a step function receives. */
export interface StepContext {
  /** Aborted when the step times out or the run is cancelled. */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
  runId: string;
  /** The step's identity in the journal: its name, `#n` for its n-th occurrence. */
  stepId: string;
  /** A line in the step's log (`baton logs RUN --step ID`). */
  log(line: string): void;
}

export interface StepOptions<T> {
  retry?: RetryOptions;
  /** Per attempt; the step's `signal` is aborted when it expires. */
  timeout?: Duration;
  /** Undoes the step when the workflow fails for good; receives the step's result. */
  compensate?: (result: T, ctx: StepContext) => unknown;
}

export interface ExecOptions {
  /** The step's name (default: the command's first word). */
  name?: string;
  cwd?: string;
  env?: Record<string, string>;
  retry?: RetryOptions;
  timeout?: Duration;
  /** Non-zero exit is an error unless this is false. */
  check?: boolean;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface SignalOptions {
  /** After this, `waitForSignal` resolves with undefined. */
  timeout?: Duration;
}

export interface WorkflowContext {
  readonly runId: string;
  readonly workflow: string;
  step<T>(name: string, fn: (ctx: StepContext) => T | Promise<T>, options?: StepOptions<T>): Promise<T>;
  sleep(duration: Duration): Promise<void>;
  sleepUntil(date: Date | number): Promise<void>;
  waitForSignal<T = unknown>(name: string, options?: SignalOptions): Promise<T | undefined>;
  /** Start a child run (a code workflow, or the path of a workflow file) and wait for its result. */
  child<I, T>(workflow: CodeWorkflow<I, T> | string, input?: I): Promise<T>;
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The time, journaled: a replay sees the same value. */
  now(): number;
  /** In [0, 1), journaled. */
  random(): number;
  /** A random UUID, journaled. */
  uuid(): string;
  /** A status readable from outside while the run goes (`baton show`). */
  setStatus(value: unknown): void;
}

export interface WorkflowOptions {
  /** Retry policy for steps that give none. */
  retry?: RetryOptions;
  /** Whole-run timeout. */
  timeout?: Duration;
}

/** Marks what defineWorkflow made; a plain string so that two copies of this package agree. */
const BRAND = 'baton.workflow';

export interface CodeWorkflow<I = unknown, O = unknown> {
  readonly type: typeof BRAND;
  readonly name: string;
  readonly fn: (ctx: WorkflowContext, input: I) => Promise<O>;
  readonly options: WorkflowOptions;
}

/** How a run of a code workflow finds its code again: the module the run was started from. */
export interface CodeWorkflowRef {
  kind: 'code';
  name: string;
  /** Absolute path of the module that defines (or imports) the workflow. */
  module?: string;
  workdir?: string;
  timeoutMs?: number;
}

export type RunDefinition = WorkflowDef | CodeWorkflowRef;

export function isCodeRef(def: RunDefinition): def is CodeWorkflowRef {
  return (def as CodeWorkflowRef).kind === 'code';
}

/** Every workflow defined in this process, by name (shared by every copy of this module). */
function registry(): Map<string, CodeWorkflow<never, unknown>> {
  const g = globalThis as { [key: symbol]: unknown };
  const key = Symbol.for('baton.workflows');
  g[key] ??= new Map();
  return g[key] as Map<string, CodeWorkflow<never, unknown>>;
}

export function defineWorkflow<I = unknown, O = unknown>(
  name: string,
  fn: (ctx: WorkflowContext, input: I) => Promise<O>,
  options: WorkflowOptions = {},
): CodeWorkflow<I, O> {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new BatonError('USAGE', `defineWorkflow: the name must be letters, digits, "_", "." or "-" (got ${JSON.stringify(name)})`);
  }
  if (typeof fn !== 'function') throw new BatonError('USAGE', `defineWorkflow("${name}"): the second argument must be an async function`);
  const wf: CodeWorkflow<I, O> = { type: BRAND, name, fn, options };
  registry().set(name, wf as unknown as CodeWorkflow<never, unknown>);
  return wf;
}

export function isCodeWorkflow(value: unknown): value is CodeWorkflow<never, unknown> {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === BRAND;
}

export function findCodeWorkflow(name: string): CodeWorkflow<never, unknown> | undefined {
  return registry().get(name);
}

/** Milliseconds for a code-side duration (a number is milliseconds). */
export function durationMs(value: Duration, what: string): number {
  const ms = typeof value === 'number' ? (Number.isFinite(value) && value >= 0 ? value : undefined) : parseDuration(value);
  if (ms === undefined) throw new BatonError('USAGE', `${what}: ${JSON.stringify(value)} is not a duration (like "30s", "5m", or a number of milliseconds)`);
  return ms;
}

export function retryPolicy(options: RetryOptions | undefined, fallback: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  if (!options) return fallback;
  const attempts = options.attempts ?? fallback.attempts;
  if (!Number.isInteger(attempts) || attempts < 1) throw new BatonError('USAGE', `retry.attempts must be a whole number of at least 1 (got ${String(options.attempts)})`);
  return {
    ...fallback,
    attempts,
    backoff: options.backoff ?? fallback.backoff,
    initialMs: options.initial !== undefined ? durationMs(options.initial, 'retry.initial') : fallback.initialMs,
    maxMs: options.max !== undefined ? durationMs(options.max, 'retry.max') : fallback.maxMs,
    factor: options.factor ?? fallback.factor,
    jitter: options.jitter === false ? 'none' : fallback.jitter,
  };
}

/** A call at the same position of the journal differs from what was recorded there. */
export class NonDeterminismError extends Error {
  constructor(position: number, recorded: string, now: string) {
    super(`non-determinism at position ${position}: the journal recorded ${recorded}, the code now calls ${now}`);
    this.name = 'NonDeterminismError';
  }
}

/** An error as the journal keeps it. */
export interface StoredError {
  name: string;
  message: string;
}

export function storedError(error: Error): StoredError {
  return { name: error.name, message: error.message };
}

/** The error a replay rethrows: same name and message as the one recorded. */
export function revivedError(stored: StoredError): Error {
  const error = new Error(stored.message);
  error.name = stored.name;
  return error;
}
