/**
 * @module testing/test-env
 * `createTestEnv()`: run any workflow, code or file, in this process on a
 * temporary SQLite store with a virtual clock. Sleeps, retries' backoff and
 * signal timeouts take no real time: `advance(duration)` moves the clock,
 * and `run.result()` moves it by itself whenever every run only waits for
 * time (as Temporal's time-skipping test server does). A step executing is
 * real work and time stays put meanwhile: a step's own timeout fires when
 * advance() reaches it. Steps, commands and
 * file tasks can be mocked by name or made to fail their first N attempts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { durationMs, isCodeWorkflow, type CodeWorkflow, type Duration, type StepContext } from '../core/workflow-code.js';
import type { WorkflowDef } from '../core/model.js';
import { isFinalRun, type RunStatus } from '../core/states.js';
import { Engine } from '../engine/engine.js';
import type { InterceptCall } from '../engine/code/run-host.js';
import { expressionHost } from '../spec/expression-host.js';
import { loadWorkflowFile, resolveInputs } from '../spec/index.js';
import { loadFunctionRef, loadWorkflowRef } from '../spec/load-code.js';
import type { EventRow, JournalEntry, StepRow } from '../store/store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { VirtualClock } from './virtual-clock.js';

export interface TestEnvOptions {
  /** Where the virtual clock starts (default 2026-01-01T00:00:00Z). */
  start?: Date | number;
  /** Random numbers for jitter and ctx.random() (default Math.random). */
  random?: () => number;
}

type Mock = (ctx: StepContext) => unknown;

export class RunFailedError extends Error {
  constructor(
    readonly runId: string,
    readonly status: RunStatus,
    readonly reason: string | null,
  ) {
    super(`run ${runId} ${status}${reason ? `: ${reason}` : ''}`);
    this.name = 'RunFailedError';
  }
}

export class TestRun<T = unknown> {
  constructor(
    private readonly env: TestEnv,
    readonly runId: string,
  ) {}

  /** The run's result, moving the virtual clock while it only waits for time. Rejects with RunFailedError if it did not succeed. */
  async result(): Promise<T> {
    const status = await this.env.settle(this.runId);
    const run = await this.env.store.getRun(this.runId);
    if (status !== 'succeeded') throw new RunFailedError(this.runId, status, run?.error ?? null);
    const detail = await this.env.store.getRunDetail(this.runId);
    if (detail?.result) return JSON.parse(detail.result) as T;
    if (run && !('kind' in run.definition)) {
      const outputs: Record<string, Record<string, string>> = {};
      for (const s of await this.steps()) if (s.kind === 'task') outputs[s.id] = s.outputs;
      return outputs as T;
    }
    return undefined as T;
  }

  /** The run's final status, moving the clock as result() does. */
  async status(): Promise<RunStatus> {
    return this.env.settle(this.runId);
  }

  /** The status recorded now, without waiting. */
  async currentStatus(): Promise<RunStatus | undefined> {
    return (await this.env.store.getRun(this.runId))?.status;
  }

  async userStatus(): Promise<unknown> {
    const d = await this.env.store.getRunDetail(this.runId);
    return d?.userStatus ? (JSON.parse(d.userStatus) as unknown) : undefined;
  }

  steps(): Promise<StepRow[]> {
    return this.env.store.getSteps(this.runId);
  }

  journal(): Promise<JournalEntry[]> {
    return this.env.store.getJournal(this.runId);
  }

  history(): Promise<EventRow[]> {
    return this.env.store.getEvents(this.runId);
  }

  signal(name: string, payload?: unknown): Promise<void> {
    return this.env.signal(this.runId, name, payload);
  }

  cancel(): Promise<void> {
    return this.env.cancel(this.runId);
  }
}

export class TestEnv {
  readonly clock: VirtualClock;
  readonly store: SqliteStore;
  readonly engine: Engine;
  private readonly dir: string;
  private readonly mocks = new Map<string, Mock>();
  private readonly failures = new Map<string, { times: number; message: string }>();
  private readonly handles = new Map<string, { result: Promise<RunStatus>; cancel: (reason?: string) => Promise<void> }>();
  /** Every step, command and task call made, in order (mocked or not). */
  readonly calls: InterceptCall[] = [];

  constructor(options: TestEnvOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
    this.clock = new VirtualClock(options.start);
    this.store = new SqliteStore({ path: join(this.dir, 'baton.db'), durability: 'normal', clock: this.clock });
    this.engine = new Engine({
      store: this.store,
      expr: expressionHost,
      clock: this.clock,
      timers: this.clock,
      random: options.random ?? Math.random,
      owner: `test:${process.pid}`,
      scratchDir: this.dir,
      intercept: (call) => this.intercept(call),
      load: loadWorkflowRef,
      loadFunction: loadFunctionRef,
    });
  }

  /** Replace a step, a command (ctx.exec, by its name) or a file task (by id) with `impl`: a function of the step context, or a value to return. */
  mock(name: string, impl: Mock | unknown): this {
    this.mocks.set(name, typeof impl === 'function' ? (impl as Mock) : () => impl);
    return this;
  }

  /** Make the first `times` attempts of a step, command or task fail (then it runs, or its mock does). */
  failTimes(name: string, times: number, message = 'planted failure'): this {
    this.failures.set(name, { times, message });
    return this;
  }

  private intercept(call: InterceptCall): Mock | undefined {
    this.calls.push(call);
    const fail = this.failures.get(call.name);
    if (fail && call.attempt <= fail.times) {
      const { message } = fail;
      return () => {
        throw new Error(`${message} (attempt ${call.attempt} of ${call.name})`);
      };
    }
    return this.mocks.get(call.name);
  }

  /** Start a run of a code workflow, a loaded file workflow, or a workflow file by path. */
  async start<I, O>(workflow: CodeWorkflow<I, O> | WorkflowDef | string, input?: I): Promise<TestRun<O>> {
    let target: CodeWorkflow<never, unknown> | WorkflowDef;
    if (typeof workflow === 'string') {
      const loaded = await loadWorkflowFile(resolve(workflow));
      if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
      target = loaded.workflow;
    } else target = workflow as CodeWorkflow<never, unknown> | WorkflowDef;
    let runInput: unknown = input;
    if (!isCodeWorkflow(target)) {
      const resolved = resolveInputs(target, (input ?? {}) as Record<string, string>);
      if (!resolved.ok) throw new Error(resolved.errors.join('\n'));
      runInput = resolved.values;
    }
    const handle = await this.engine.start(target, { input: runInput });
    handle.result.catch(() => undefined);
    this.handles.set(handle.runId, handle);
    await this.idle();
    return new TestRun<O>(this, handle.runId);
  }

  /** Resume a run as a new process would after a crash (its journal replays). */
  async resume<O = unknown>(runId: string): Promise<TestRun<O>> {
    const handle = await this.engine.resume(runId);
    handle.result.catch(() => undefined);
    this.handles.set(runId, handle);
    await this.idle();
    return new TestRun<O>(this, runId);
  }

  async signal(runId: string, name: string, payload?: unknown): Promise<void> {
    await this.engine.signal(runId, name, payload);
    await this.idle();
  }

  async cancel(runId: string): Promise<void> {
    await this.handles.get(runId)?.cancel();
  }

  /** Move the virtual clock forward, firing every timer due on the way in order. */
  async advance(duration: Duration): Promise<void> {
    const target = this.clock.now() + durationMs(duration, 'advance');
    await this.idle();
    for (let next = this.clock.nextTimer(); next !== undefined && next <= target; next = this.clock.nextTimer()) {
      this.clock.set(next);
      await this.idle();
    }
    this.clock.set(target);
    await this.idle();
  }

  /**
   * Let what is in flight finish (steps, writes, runs reacting to them), for
   * up to `patienceMs` of real time: a step may wait for something only the
   * virtual clock brings (its own timeout), and then only advance() helps.
   */
  async idle(patienceMs = 100): Promise<boolean> {
    const until = Date.now() + patienceMs;
    let quiet = 0;
    for (let spins = 0; quiet < 3; spins++) {
      if (Date.now() > until) return false;
      await new Promise<void>((r) => (spins < 200 ? setImmediate(r) : setTimeout(r, 1)));
      quiet = this.engine.idle() ? quiet + 1 : 0;
    }
    return true;
  }

  /** Wait for the run to end, skipping time while all that is left is waiting for it. */
  async settle(runId: string): Promise<RunStatus> {
    for (;;) {
      const idle = await this.idle();
      const run = await this.store.getRun(runId);
      if (!run) throw new Error(`no run ${runId}`);
      if (isFinalRun(run.status)) {
        await this.handles.get(runId)?.result.catch(() => undefined);
        return run.status;
      }
      // A step still executes (real work): let it, time stays put.
      if (!idle) continue;
      const next = this.clock.nextTimer();
      if (next === undefined) {
        throw new Error(`run ${runId} is ${run.status} and nothing will wake it: no timer is pending (does it wait for a signal that is never sent?)`);
      }
      this.clock.set(next);
    }
  }

  async close(): Promise<void> {
    for (const h of this.handles.values()) await h.cancel('test environment closed').catch(() => undefined);
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function createTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const env = new TestEnv(options);
  await env.store.migrate();
  return env;
}
