/**
 * @module engine/code/code-run
 * Runs the function of a code workflow durably (DESIGN.md §5, the journal
 * model): each ctx call takes the next position; a journaled call returns its
 * recorded outcome without running; a new one runs and is journaled. While
 * this process lives, a sleep or a signal wait is a timer or a listener and
 * the function simply goes on; if the process dies, the next execution
 * replays the journal to the same point. When every branch waits, the run is
 * recorded `waiting` with its wake-up time, so another process can pick it
 * up. When the function fails for good, the compensations of completed steps
 * run in reverse completion order, each a journaled step of its own.
 */
import type { Clock, Timers } from '../../core/clock.js';
import { formatDuration } from '../../core/duration.js';
import { coerceError } from '../../core/errors.js';
import type { RetryPolicy } from '../../core/model.js';
import type { Random } from '../../core/retry.js';
import type { RunStatus } from '../../core/states.js';
import {
  NonDeterminismError,
  revivedError,
  type CodeWorkflow,
  type ExecOptions,
  type ExecResult,
  type StepContext,
  type StoredError,
  type WorkflowContext,
} from '../../core/workflow-code.js';
import type { Store, Stream } from '../../store/store.js';
import { Deferred } from '../wakeup.js';
import { runStep } from './attempts.js';
import { makeContext } from './context.js';
import { JournalCursor, type Call } from './journal-cursor.js';
import type { Emit, Intercept } from './run-host.js';
import { parseResult, SignalWaiters, WaitTracker, type WaitHost } from './waits.js';

export interface ChildRequest {
  parentId: string;
  runId: string;
  workflow: CodeWorkflow<never, unknown> | string;
  input: unknown;
  signal: AbortSignal;
}

export interface ChildOutcome {
  status: RunStatus;
  result: string | null;
  error: string | null;
}

export interface CodeRunDeps {
  store: Store;
  clock: Clock;
  timers: Timers;
  random: Random;
  owner: string;
  emit: Emit;
  intercept: Intercept | undefined;
  log: (stepId: string, attempt: number, stream: Stream, line: string) => void;
  child: (req: ChildRequest) => Promise<ChildOutcome>;
  exec: StepExec;
}

export type StepExec = (
  command: string | readonly string[],
  options: ExecOptions,
  ctx: StepContext,
  log: (stream: 'stdout' | 'stderr', line: string) => void,
) => Promise<ExecResult>;

export interface CodeRunSpec {
  runId: string;
  workflow: CodeWorkflow<never, unknown>;
  input: unknown;
  defaultRetry: RetryPolicy;
  deadline?: number;
  timeoutMs?: number;
}

type Ending = { status: 'cancelled' | 'timed_out' | 'failed'; error: Error; fatal?: boolean };

const NEVER = new Promise<never>(() => undefined);

export class CodeRun implements WaitHost {
  readonly runId: string;
  readonly workflow: string;
  readonly owner: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly emit: Emit;
  readonly intercept: Intercept | undefined;
  active = 0;
  private stop = new AbortController();
  private cancelRequested = false;
  private readonly stopped = new Deferred<never>();
  private ending: Ending | undefined;
  private cursor!: JournalCursor;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly completed: Array<{ key: string; order: number; text: string | null }> = [];
  private readonly compensations = new Map<string, { fn: (result: unknown, ctx: StepContext) => unknown; policy: RetryPolicy }>();
  readonly waits: WaitTracker;
  readonly signals: SignalWaiters;
  private lastUserStatus: string | undefined;
  private localOrder = 0;
  /** Loading the journal, or concluding (compensations, the final status). */
  private busy = true;

  constructor(
    private readonly deps: CodeRunDeps,
    private readonly spec: CodeRunSpec,
  ) {
    this.runId = spec.runId;
    this.workflow = spec.workflow.name;
    this.owner = deps.owner;
    this.store = deps.store;
    this.clock = deps.clock;
    this.timers = deps.timers;
    this.random = deps.random;
    this.emit = deps.emit;
    this.intercept = deps.intercept;
    this.stopped.promise.catch(() => undefined);
    this.waits = new WaitTracker(this, () => this.ending !== undefined);
    this.signals = new SignalWaiters(this);
  }

  get stopping(): boolean {
    return this.ending !== undefined;
  }

  child(req: ChildRequest): Promise<ChildOutcome> {
    return this.deps.child(req);
  }

  get stopSignal(): AbortSignal {
    return this.stop.signal;
  }

  log(stepId: string, attempt: number, stream: Stream, line: string): void {
    this.deps.log(stepId, attempt, stream, line);
  }

  /** Execute (or replay, then go on with) the function; resolves with the run's final status. */
  async execute(): Promise<RunStatus> {
    this.cursor = new JournalCursor(await this.store.getJournal(this.runId));
    this.busy = false;
    const cancelDeadline =
      this.spec.deadline !== undefined
        ? this.timers.at(this.spec.deadline, () => this.halt({ status: 'timed_out', error: new Error(`run timed out after ${formatDuration(this.spec.timeoutMs ?? 0)}`) }))
        : undefined;
    const ctx: WorkflowContext = makeContext(this, { retry: this.spec.defaultRetry });
    let outcome: { ok: true; value: unknown } | { ok: false; error: Error };
    try {
      const value = await Promise.race([this.spec.workflow.fn(ctx as never, this.spec.input as never), this.stopped.promise]);
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error: coerceError(error) };
    }
    await this.drain();
    this.busy = true;
    try {
      return await this.conclude(outcome);
    } finally {
      cancelDeadline?.();
    }
  }

  cancel(reason = 'cancelled by user'): void {
    this.cancelRequested = true;
    // Compensating after a failure or a timeout: stop the compensations too.
    if (this.ending) this.abortStop(new Error(reason));
    else this.halt({ status: 'cancelled', error: new Error(reason) });
  }

  /** Stop here without writing anything: another process owns the run now, or it ended elsewhere. */
  abandon(reason: string): void {
    this.halt({ status: 'failed', error: new Error(reason), fatal: true });
  }

  private readonly stopListeners = new Set<(reason: Error) => void>();

  onStop(listener: (reason: Error) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  private abortStop(reason: Error): void {
    this.stop.abort(reason);
    for (const l of [...this.stopListeners]) l(reason);
    this.stopListeners.clear();
  }

  /** No step executes and no write is pending: the run waits for time, a signal or a child. */
  idle(): boolean {
    return this.active === 0 && this.inflightWrites === 0 && !this.busy;
  }

  /** A signal was sent to this run by this process: look again at once. */
  notifySignal(): void {
    this.signals.notify();
  }

  private async conclude(outcome: { ok: true; value: unknown } | { ok: false; error: Error }): Promise<RunStatus> {
    const ending = this.ending;
    if (ending?.fatal) throw ending.error;
    if (ending?.status === 'cancelled') {
      await this.store.cancelSteps(this.runId, ending.error.message);
      return this.finish(['running', 'waiting', 'compensating'], 'cancelled', ending.error.message);
    }
    if (!ending && outcome.ok) {
      let text: string | null;
      try {
        text = JSON.stringify(outcome.value) ?? null;
      } catch (error) {
        return this.finish(['running', 'waiting'], 'failed', `the workflow returned a value that is not JSON: ${coerceError(error).message}`);
      }
      return this.finish(['running', 'waiting'], 'succeeded', null, text);
    }
    const error = ending?.error ?? (outcome.ok ? new Error('failed') : outcome.error);
    const message = error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
    const then = ending?.status === 'timed_out' ? 'timed_out' : 'failed';
    if (error instanceof NonDeterminismError || error.name === 'NonDeterminismError') {
      // The code no longer matches the journal: its compensations cannot be trusted either.
      return this.finish(['running', 'waiting'], then, message);
    }
    try {
      await this.compensate(message);
    } catch (e) {
      if (!this.cancelRequested) throw e;
    }
    if (this.cancelRequested) {
      await this.store.cancelSteps(this.runId, 'cancelled by user');
      return this.finish(['running', 'waiting', 'compensating'], 'cancelled', message);
    }
    return this.finish(['running', 'waiting', 'compensating'], then, message);
  }

  private async compensate(reason: string): Promise<void> {
    const targets = this.completed
      .filter((c) => this.compensations.has(c.key) && this.cursor.entry(c.key)?.status !== 'compensated')
      .sort((a, b) => b.order - a.order);
    if (targets.length === 0) return;
    // A fresh signal: a run timeout stopped the function, not its compensations.
    this.resetStop();
    await this.store.setRunStatus(this.runId, ['running', 'waiting'], 'compensating', { error: reason });
    for (const t of targets) {
      const comp = this.compensations.get(t.key);
      if (!comp) continue;
      const key = `${t.key}.compensate`;
      const entry = this.cursor.entry(key);
      let ok = entry?.status === 'succeeded';
      if (!ok) {
        const result = t.text === null ? undefined : (JSON.parse(t.text) as unknown);
        const end = await runStep(this, { position: this.cursor.reserve(), key, name: key, kind: 'compensate', policy: comp.policy, fn: (ctx) => comp.fn(result, ctx), ...(entry ? { entry } : {}) });
        ok = end.ok;
      }
      if (ok) await this.mustWrite(this.store.endEntry(this.runId, this.owner, t.key, 0, { status: 'compensated' }));
    }
  }

  private resetStop(): void {
    if (this.stop.signal.aborted && !this.cancelRequested) this.stop = new AbortController();
  }

  private async finish(from: RunStatus[], to: RunStatus, error: string | null, result?: string | null): Promise<RunStatus> {
    await this.store.setRunStatus(this.runId, from, to, { error, ...(result !== undefined ? { result } : {}) });
    this.emit('run:finished', { runId: this.runId, status: to, error });
    return to;
  }

  /** Stop the function: no call resolves any more, executing steps are aborted. */
  halt(ending: Ending): void {
    if (this.ending) return;
    this.ending = ending;
    this.abortStop(ending.error);
    this.stopped.reject(ending.error);
  }

  // ---- what the context calls ----

  /** The next position, or undefined once the run has stopped (the call then never settles). */
  call(kind: Parameters<JournalCursor['next']>[0], name: string): Call | undefined {
    if (this.ending) return undefined;
    try {
      return this.cursor.next(kind, name);
    } catch (error) {
      this.halt({ status: 'failed', error: coerceError(error) });
      return undefined;
    }
  }

  never<T>(): Promise<T> {
    return NEVER;
  }

  runStepCall<T>(call: Call, name: string, fn: (ctx: StepContext) => T | Promise<T>, policy: RetryPolicy, timeoutMs: number | undefined, compensate: ((result: T, ctx: StepContext) => unknown) | undefined): Promise<T> {
    if (compensate) this.compensations.set(call.key, { fn: compensate as (r: unknown, c: StepContext) => unknown, policy });
    const entry = call.entry;
    if (entry && (entry.status === 'succeeded' || entry.status === 'compensated')) {
      this.completed.push({ key: call.key, order: entry.completedSeq ?? 0, text: entry.result });
      return Promise.resolve(parseResult(entry.result) as T);
    }
    if (entry?.status === 'failed') return Promise.reject(revivedError(JSON.parse(entry.result ?? '{}') as StoredError));
    const order = 1e15 + this.localOrder++;
    const spec = { position: call.position, key: call.key, name, kind: 'step' as const, policy, fn, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(entry ? { entry } : {}) };
    const run = runStep(this, spec).then((end) => {
      if (!end.ok) throw end.error;
      this.completed.push({ key: call.key, order: order + this.localOrder++, text: end.text ?? null });
      return parseResult(end.text ?? null) as T;
    });
    this.track(run);
    return run;
  }

  valueCall(call: Call, name: string, produce: () => unknown): unknown {
    if (call.entry) return parseResult(call.entry.result);
    const value = produce();
    this.write(this.store.recordValue(this.runId, this.owner, { position: call.position, key: call.key, name, result: JSON.stringify(value) }));
    return value;
  }

  setUserStatus(value: unknown): void {
    const text = JSON.stringify(value ?? null);
    if (text === this.lastUserStatus) return;
    this.lastUserStatus = text;
    this.write(this.store.setUserStatus(this.runId, text).then(() => true));
  }

  execFn(command: string | readonly string[], options: ExecOptions): (ctx: StepContext) => Promise<ExecResult> {
    return (ctx) => this.deps.exec(command, options, ctx, (stream, line) => this.log(ctx.stepId, ctx.attempt, stream, line));
  }

  // ---- waiting, writes, accounting ----

  private inflightWrites = 0;

  write(p: Promise<boolean>): void {
    this.inflightWrites++;
    const tracked = p.then(
      (ok) => {
        this.inflightWrites--;
        if (!ok) this.lost();
      },
      (error: unknown) => {
        this.inflightWrites--;
        this.halt({ status: 'failed', error: coerceError(error), fatal: true });
      },
    );
    this.track(tracked);
  }

  async mustWrite(p: Promise<boolean>): Promise<void> {
    this.inflightWrites++;
    let ok: boolean;
    try {
      ok = await p;
    } catch (error) {
      this.halt({ status: 'failed', error: coerceError(error), fatal: true });
      throw error;
    } finally {
      this.inflightWrites--;
    }
    if (!ok) {
      this.lost();
      throw this.stop.signal.reason;
    }
  }

  private lost(): void {
    this.halt({ status: 'failed', error: new Error(`run ${this.runId} is no longer owned by ${this.owner}; this process stops driving it`), fatal: true });
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
  }

  /** Wait for every step and write still in flight (a branch the function did not await). */
  private async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
