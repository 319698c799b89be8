/**
 * @module engine/code/waits
 * The calls that wait: a sleep, a signal, a child run. Each is journaled
 * before it waits (so a restart keeps its due time and finds its child
 * again); while it waits the run counts it, and when every branch of the
 * function waits, the run is recorded `waiting` with its wake-up time.
 */
import { revivedError, type CodeWorkflow, type StoredError } from '../../core/workflow-code.js';
import { Deferred, waitUntil } from '../wakeup.js';
import type { ChildOutcome, ChildRequest } from './code-run.js';
import type { Call } from './journal-cursor.js';
import type { RunHost } from './run-host.js';

/** What the waiting calls need of their run. */
export interface WaitHost extends RunHost {
  readonly waits: WaitTracker;
  readonly signals: SignalWaiters;
  /** The run is stopping: a call that ends now leads nowhere. */
  readonly stopping: boolean;
  child(req: ChildRequest): Promise<ChildOutcome>;
}

export function parseResult(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

const NEVER = new Promise<never>(() => undefined);

/** Wait until `due`; journaled before waiting, so a restart keeps the same due time. */
export async function sleepCall(host: WaitHost, call: Call, due: number): Promise<void> {
  if (call.entry?.status === 'succeeded') return;
  const at = call.entry?.readyAt ?? due;
  if (!call.entry) await host.mustWrite(host.store.beginEntry(host.runId, host.owner, { position: call.position, key: call.key, kind: 'sleep', name: 'sleep', attempt: 0, status: 'waiting', readyAt: at }));
  started(host, call, 'sleep');
  await host.waits.around(at, () => waitUntil(host.timers, at, host.stopSignal));
  host.write(host.store.endEntry(host.runId, host.owner, call.key, 0, { status: 'succeeded', result: null }));
  finished(host, call, 'sleep');
}

export async function signalCall(host: WaitHost, call: Call, name: string, timeoutMs: number | undefined): Promise<unknown> {
  const entry = call.entry;
  if (entry?.status === 'succeeded') return parseResult(entry.result);
  const due = entry?.readyAt ?? (timeoutMs !== undefined ? host.clock.now() + timeoutMs : null);
  if (!entry || entry.status !== 'waiting') {
    await host.mustWrite(host.store.beginEntry(host.runId, host.owner, { position: call.position, key: call.key, kind: 'signal', name, attempt: 0, status: 'waiting', readyAt: due }));
  }
  started(host, call, 'signal');
  const payload = await host.waits.around(due, () => takeSignal(host, call.key, name, due));
  finished(host, call, 'signal');
  return payload;
}

/** Take a signal as soon as one is there (sent by this process, or seen in the store), or time out. */
async function takeSignal(host: WaitHost, key: string, name: string, due: number | null): Promise<unknown> {
  for (;;) {
    const wake = new Deferred<'signal' | 'timeout'>();
    const off = host.signals.add(() => wake.resolve('signal'));
    const cancelTimer = due !== null ? host.timers.at(due, () => wake.resolve('timeout')) : undefined;
    const offStop = host.onStop((reason) => wake.reject(reason));
    try {
      const got = await host.store.takeSignal(host.runId, host.owner, name, key);
      if (got) return parseResult(got.payload);
      if ((await wake.promise) === 'timeout') {
        await host.mustWrite(host.store.endEntry(host.runId, host.owner, key, 0, { status: 'succeeded', result: null }));
        return undefined;
      }
    } finally {
      off();
      cancelTimer?.();
      offStop();
    }
  }
}

export async function childCall(host: WaitHost, call: Call, workflow: CodeWorkflow<never, unknown> | string, name: string, input: unknown): Promise<unknown> {
  const entry = call.entry;
  if (entry?.status === 'succeeded') return parseResult(entry.result);
  if (entry?.status === 'failed') throw revivedError(JSON.parse(entry.result ?? '{}') as StoredError);
  // Derived from the parent's journal position: a replay finds the same child.
  const runId = `${host.runId}.${call.position}`;
  if (!entry || entry.status !== 'waiting') {
    await host.mustWrite(host.store.beginEntry(host.runId, host.owner, { position: call.position, key: call.key, kind: 'child', name, attempt: 0, status: 'waiting', readyAt: null }));
  }
  started(host, call, 'child');
  const out = await host.waits.around(null, () => host.child({ parentId: host.runId, runId, workflow, input, signal: host.stopSignal }));
  if (host.stopping) return NEVER;
  if (out.status === 'succeeded') {
    await host.mustWrite(host.store.endEntry(host.runId, host.owner, call.key, 0, { status: 'succeeded', result: out.result }));
    finished(host, call, 'child');
    return parseResult(out.result);
  }
  const error = Object.assign(new Error(`child run ${runId} (${name}) ${out.status}${out.error ? `: ${out.error}` : ''}`), { name: 'ChildRunFailedError' });
  await host.mustWrite(host.store.endEntry(host.runId, host.owner, call.key, 0, { status: 'failed', error: error.message, result: JSON.stringify({ name: error.name, message: error.message }) }));
  finished(host, call, 'child', error.message);
  throw error;
}

function started(host: RunHost, call: Call, kind: 'sleep' | 'signal' | 'child'): void {
  host.emit('step:started', { runId: host.runId, stepId: call.key, kind, attempt: 0, at: host.clock.now() });
}

function finished(host: RunHost, call: Call, kind: 'sleep' | 'signal' | 'child', error?: string): void {
  host.emit('step:finished', {
    runId: host.runId,
    stepId: call.key,
    kind,
    attempt: 0,
    status: error === undefined ? 'succeeded' : 'failed',
    exitCode: null,
    at: host.clock.now(),
    ...(error !== undefined ? { error } : {}),
  });
}

/** The waits in progress, and the run status they imply: `waiting` (with the earliest due time) when nothing else goes on. */
export class WaitTracker {
  private readonly waits = new Map<symbol, number | null>();
  private recorded: 'running' | 'waiting' = 'running';
  private scheduled = false;

  constructor(
    private readonly host: RunHost,
    private readonly stopping: () => boolean,
  ) {}

  async around<T>(due: number | null, body: () => Promise<T>): Promise<T> {
    const token = Symbol('wait');
    this.waits.set(token, due);
    this.schedule();
    try {
      return await body();
    } finally {
      this.waits.delete(token);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopping()) return;
      const want = this.waits.size > 0 && this.host.active === 0 ? 'waiting' : 'running';
      if (want === this.recorded) return;
      const from = this.recorded;
      this.recorded = want;
      const dues = [...this.waits.values()].filter((d): d is number => d !== null);
      const wakeAt = want === 'waiting' && dues.length > 0 ? Math.min(...dues) : null;
      this.host.write(this.host.store.setRunStatus(this.host.runId, [from], want, { wakeAt }).then(() => true));
    });
  }
}

/** Who waits for a signal; the store is watched (another process may send one) while anyone does. */
export class SignalWaiters {
  private readonly waiters = new Set<() => void>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly host: RunHost) {}

  add(wake: () => void): () => void {
    this.waiters.add(wake);
    this.unwatch ??= this.host.store.watch(() => this.notify());
    return () => {
      this.waiters.delete(wake);
      if (this.waiters.size === 0) {
        this.unwatch?.();
        this.unwatch = undefined;
      }
    };
  }

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
