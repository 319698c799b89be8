/**
 * @module engine/engine
 * The engine's public face: start, resume and retry runs of file workflows
 * and code workflows against a Store, send signals, and watch them through
 * typed events. It wires one RunDriver and TaskExecutor per file run, one
 * CodeRun per code run, and owns nothing global.
 */
import { EventEmitter } from 'node:events';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock, type Timers } from '../core/clock.js';
import { BatonError } from '../core/errors.js';
import type { EngineEventMap } from '../core/events.js';
import { DEFAULT_RETRY, type WorkflowDef } from '../core/model.js';
import { isFinalRun, isFinalStep } from '../core/states.js';
import {
  findCodeWorkflow,
  isCodeRef,
  isCodeWorkflow,
  retryPolicy,
  durationMs,
  type CodeWorkflow,
  type CodeWorkflowRef,
} from '../core/workflow-code.js';
import type { RunRow, Stream, Store } from '../store/store.js';
import { Children } from './children.js';
import { LogSink } from './log-sink.js';
import { RunDriver } from './run-driver.js';
import { newRunId } from './run-id.js';
import { OutputsDir } from './outputs-file.js';
import { runInPool } from './process-runner.js';
import { SecretMasker } from './secret-masker.js';
import { TaskExecutor } from './task-executor.js';
import { systemTimers } from './wakeup.js';
import { queuedRun } from './admission-wait.js';
import { fileRunShape } from './run-shape.js';
import { describeWait } from '../core/flow.js';
import type { DriveOptions, EngineOptions, RunHandle, StartOptions } from './engine-options.js';

export type { EngineOptions, DriveOptions, StartOptions, RunHandle } from './engine-options.js';

/** Something driving a run in this process. */
interface LiveRun {
  idle(): boolean;
  notifySignal?(): void;
}

export class Engine {
  private readonly emitter = new EventEmitter();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly live = new Map<string, LiveRun>();
  private readonly children: Children;
  readonly owner: string;

  constructor(private readonly opts: EngineOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers(() => this.clock.now());
    this.children = new Children({ store: opts.store, load: opts.load, start: (t, o) => this.start(t, o), resume: (id) => this.resume(id) });
    this.owner = opts.owner ?? `${hostname()}:${process.pid}`;
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof EngineEventMap>(name: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  private emit<K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Start a run of a file workflow (a loaded definition) or of a code workflow (from defineWorkflow). */
  async start(def: WorkflowDef | CodeWorkflow<never, unknown>, options: StartOptions = {}): Promise<RunHandle> {
    if (isCodeWorkflow(def)) return this.startCode(def, options);
    const runId = options.runId ?? newRunId(this.clock.now());
    const snapshot: WorkflowDef = { ...def, workdir: options.workdir ?? def.workdir ?? process.cwd() };
    const input = (options.input ?? {}) as Record<string, unknown>;
    const shape = fileRunShape(def, input, this.opts.expr);
    await this.opts.store.createRun({ id: runId, workflow: def.name, definition: snapshot, input, ...shape, ...(options.parentId ? { parentId: options.parentId } : {}) }, this.owner);
    if (shape.gates && (await this.requireRun(runId)).status === 'queued') return this.startQueued(runId, snapshot, input, options);
    this.emit('run:started', { runId, workflow: def.name, steps: def.tasks.length, resumed: false });
    return this.drive(runId, snapshot, input, def.tasks.length, options);
  }

  /** A run whose concurrency gates are full: it starts when the store admits it (a run holding a gate ended). */
  private async startQueued(runId: string, def: WorkflowDef, input: Record<string, unknown>, options: DriveOptions): Promise<RunHandle> {
    this.emit('run:queued', { runId, workflow: def.name, waitingFor: describeWait(await this.opts.store.flow(runId)) });
    return queuedRun(this.opts.store, runId, {
      start: () => {
        this.emit('run:started', { runId, workflow: def.name, steps: def.tasks.length, resumed: false });
        return this.drive(runId, def, input, def.tasks.length, options);
      },
      cancelled: (reason) => this.emit('run:finished', { runId, status: 'cancelled', error: reason }),
    });
  }

  private async startCode(wf: CodeWorkflow<never, unknown>, options: StartOptions): Promise<RunHandle> {
    const runId = options.runId ?? newRunId(this.clock.now());
    const ref: CodeWorkflowRef = { kind: 'code', name: wf.name, workdir: options.workdir ?? process.cwd() };
    if (options.module) ref.module = options.module;
    if (wf.options.timeout !== undefined) ref.timeoutMs = durationMs(wf.options.timeout, `workflow "${wf.name}" timeout`);
    const input = options.input === undefined ? null : options.input;
    try {
      JSON.stringify(input);
    } catch (error) {
      throw new BatonError('INVALID_INPUT', `the input of workflow "${wf.name}" is not JSON: ${(error as Error).message}`);
    }
    await this.opts.store.createRun({ id: runId, workflow: wf.name, definition: ref, input, steps: [], ...(options.parentId ? { parentId: options.parentId } : {}) }, this.owner);
    this.emit('run:started', { runId, workflow: wf.name, steps: 0, resumed: false });
    const run = await this.requireRun(runId);
    return this.driveCode(run, ref, wf, options);
  }

  /** Send a signal to a run; a waitForSignal of that name takes it, now or later, exactly once. */
  async signal(runId: string, name: string, payload?: unknown): Promise<void> {
    const run = await this.requireRun(runId);
    if (isFinalRun(run.status)) throw new BatonError('CONFLICT', `run ${runId} has already ${run.status}; it takes no more signals`);
    if (!isCodeRef(run.definition)) throw new BatonError('CONFLICT', `run ${runId} is of a file workflow; only code workflows wait for signals`);
    await this.opts.store.sendSignal(runId, name, JSON.stringify(payload ?? null));
    this.live.get(runId)?.notifySignal?.();
  }

  /** True when no run driven here has work in flight (each waits for time, a signal, or nothing). */
  idle(): boolean {
    if (!this.children.idle()) return false;
    for (const r of this.live.values()) if (!r.idle()) return false;
    return true;
  }

  private async codeWorkflowOf(run: RunRow, ref: CodeWorkflowRef): Promise<CodeWorkflow<never, unknown>> {
    let wf = findCodeWorkflow(ref.name);
    if (!wf && ref.module && this.opts.load) {
      const loaded = await this.opts.load(ref.module, ref.workdir ?? process.cwd());
      wf = isCodeWorkflow(loaded) && loaded.name === ref.name ? loaded : findCodeWorkflow(ref.name);
    }
    if (!wf) {
      throw new BatonError('NOT_FOUND', `run ${run.id} is of code workflow "${ref.name}", which is not loaded${ref.module ? ` (its module was ${ref.module})` : ''}`);
    }
    return wf;
  }

  /** The code runner is loaded on first use: a process that runs only file workflows never loads it. */
  private async driveCode(run: RunRow, ref: CodeWorkflowRef, wf: CodeWorkflow<never, unknown>, options: DriveOptions): Promise<RunHandle> {
    const [{ CodeRun }, { execCommand }] = await Promise.all([import('./code/code-run.js'), import('./code/exec.js')]);
    const runId = run.id;
    const masker = new SecretMasker(Object.values(options.secrets ?? {}));
    const sink = new LogSink(this.opts.store, this.clock, masker, (l) => this.emit('step:log', l));
    const log = (stepId: string, attempt: number, stream: Stream, line: string) => sink.write(runId, stepId, attempt, stream, line);
    const workdir = ref.workdir ?? process.cwd();
    const execHost = {
      workdir,
      baseEnv: plainEnv(this.opts.env ?? process.env),
      killGraceMs: this.opts.killGraceMs ?? 5000,
      launch: this.opts.launch ?? runInPool,
    };
    const code = new CodeRun(
      {
        store: this.opts.store,
        clock: this.clock,
        timers: this.timers,
        random: this.opts.random ?? Math.random,
        owner: this.owner,
        emit: (n, p) => this.emit(n, p),
        intercept: this.opts.intercept,
        log,
        child: (req) => this.children.run(req, { workdir, from: workdir, ...(ref.module ? { module: ref.module } : {}) }),
        exec: (command, execOptions, ctx, lineLog) => execCommand(execHost, command, execOptions, ctx, lineLog),
      },
      {
        runId,
        workflow: wf,
        input: run.input,
        defaultRetry: retryPolicy(wf.options.retry, DEFAULT_RETRY),
        ...(ref.timeoutMs !== undefined ? { timeoutMs: ref.timeoutMs, deadline: (run.startedAt ?? run.createdAt) + ref.timeoutMs } : {}),
      },
    );
    this.live.set(runId, code);
    const result = code.execute().finally(async () => {
      await sink.flush();
      this.live.delete(runId);
    });
    return {
      runId,
      result,
      cancel: async (reason) => {
        code.cancel(reason);
        await result.catch(() => undefined);
      },
      abandon: (reason) => code.abandon(reason),
    };
  }

  /** Continue a run whose process died: its running steps get a new attempt (the lost one recorded as crashed). */
  async resume(runId: string, options: DriveOptions = {}): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    if (isFinalRun(run.status)) throw new BatonError('CONFLICT', `run ${runId} has already ${run.status}; use "baton retry" to re-run what failed`);
    const def = run.definition;
    const wf = isCodeRef(def) ? await this.codeWorkflowOf(run, def) : undefined;
    await this.opts.store.takeRun(runId, this.owner);
    await this.opts.store.recoverRun(runId);
    if (isCodeRef(def) && wf) {
      this.emit('run:started', { runId, workflow: run.workflow, steps: 0, resumed: true });
      return this.driveCode(run, def, wf, options);
    }
    const open = (await this.opts.store.getSteps(runId)).filter((s) => !isFinalStep(s.status)).length;
    this.emit('run:started', { runId, workflow: run.workflow, steps: open, resumed: true });
    return this.drive(runId, def as WorkflowDef, run.input as Record<string, unknown>, open, options);
  }

  /**
   * Drive a code run a worker has just claimed (it owns the run already):
   * its lost attempts are recorded crashed and its journal replays.
   */
  async adoptCodeRun(runId: string): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    const def = run.definition;
    if (!isCodeRef(def)) throw new BatonError('CONFLICT', `run ${runId} is not of a code workflow`);
    const wf = await this.codeWorkflowOf(run, def);
    // A run submitted a moment ago was announced by whoever submitted it; one with steps taken resumes here.
    const resumed = (await this.opts.store.getSteps(runId)).length > 0;
    await this.opts.store.recoverRun(runId);
    if (resumed) this.emit('run:started', { runId, workflow: run.workflow, steps: 0, resumed: true });
    return this.driveCode(run, def, wf, {});
  }

  /** Re-run from failure: the tasks that did not succeed run again; successes are kept. */
  async retry(runId: string, options: DriveOptions = {}): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    if (!isFinalRun(run.status)) throw new BatonError('CONFLICT', `run ${runId} is still ${run.status}; use "baton resume" if its process died`);
    if (run.status === 'succeeded') throw new BatonError('CONFLICT', `run ${runId} succeeded; there is nothing to retry`);
    const def = run.definition;
    const wf = isCodeRef(def) ? await this.codeWorkflowOf(run, def) : undefined;
    const reset = await this.opts.store.resetForRetry(runId, this.owner);
    if (isCodeRef(def) && wf) {
      this.emit('run:started', { runId, workflow: run.workflow, steps: reset.length, resumed: true });
      return this.driveCode((await this.requireRun(runId)), def, wf, options);
    }
    this.emit('run:started', { runId, workflow: run.workflow, steps: reset.length, resumed: true });
    return this.drive(runId, def as WorkflowDef, run.input as Record<string, unknown>, reset.length, options);
  }

  private async requireRun(runId: string) {
    const run = await this.opts.store.getRun(runId);
    if (!run) throw new BatonError('NOT_FOUND', `no run ${runId}`);
    return run;
  }

  /** What executing a file run's steps takes: its executor, log sink and outputs directory (shared with workers). */
  fileRunContext(runId: string, def: WorkflowDef, input: Record<string, unknown>, secrets: Record<string, string>, slots: { id: string; limit: number }) {
    const outputs = new OutputsDir(join(this.opts.scratchDir ?? tmpdir(), `baton-${runId}`));
    const masker = new SecretMasker(Object.values(secrets));
    const sink = new LogSink(this.opts.store, this.clock, masker, (l) => this.emit('step:log', l));
    const log = (stepId: string, attempt: number, stream: Stream, line: string) => sink.write(runId, stepId, attempt, stream, line);
    const executor = new TaskExecutor(
      {
        runId,
        def,
        tasks: new Map(def.tasks.map((t) => [t.id, t])),
        input,
        secrets,
        masker,
        workdir: def.workdir ?? process.cwd(),
        baseEnv: plainEnv(this.opts.env ?? process.env),
        outputs,
        slots,
      },
      {
        store: this.opts.store,
        expr: this.opts.expr,
        clock: this.clock,
        random: this.opts.random ?? Math.random,
        killGraceMs: this.opts.killGraceMs ?? 5000,
        launch: this.opts.launch ?? runInPool,
        log,
        intercept: this.opts.intercept,
        chaos: this.opts.chaos,
        calls: {
          fn: async (ref, from, fnInput, ctx) => {
            if (!this.opts.loadFunction) throw new BatonError('USAGE', `function: ${ref}: this engine cannot load modules (no "loadFunction" option)`);
            return (await this.opts.loadFunction(ref, from))(fnInput, ctx);
          },
          workflow: (ref, from, childId, childInput, signal) =>
            this.children.run({ parentId: runId, runId: childId, workflow: ref, input: childInput, signal }, { workdir: def.workdir ?? process.cwd(), from }),
        },
      },
    );
    return { executor, sink, outputs };
  }

  get store(): Store {
    return this.opts.store;
  }

  get clockNow(): number {
    return this.clock.now();
  }

  get timerSource(): Timers {
    return this.timers;
  }

  /** Emit a live event (workers report the steps they run through the engine's events). */
  report<K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]): void {
    this.emit(name, payload);
  }

  private async drive(runId: string, def: WorkflowDef, input: Record<string, unknown>, openSteps: number, options: DriveOptions): Promise<RunHandle> {
    // The run's row (its whole definition, parsed) only for the deadline of a run timeout.
    const timeout = def.timeoutMs !== undefined ? { ms: def.timeoutMs, run: await this.requireRun(runId) } : undefined;
    const concurrency = Math.max(1, options.concurrency ?? def.concurrency ?? this.opts.concurrency ?? 4);
    const { executor, sink, outputs } = this.fileRunContext(runId, def, input, options.secrets ?? {}, { id: runId, limit: concurrency });
    const driverOptions = {
      runId,
      owner: this.owner,
      concurrency,
      leaseMs: this.opts.leaseMs ?? 30_000,
      heartbeatMs: this.opts.heartbeatMs ?? 10_000,
      failFast: def.failFast,
      rollbackTasks: new Set(def.tasks.filter((t) => t.rollback).map((t) => t.id)),
      pooled: def.tasks.some((t) => t.pool !== undefined),
      ...(timeout ? { timeoutMs: timeout.ms, deadline: (timeout.run.startedAt ?? timeout.run.createdAt) + timeout.ms } : {}),
    };
    const driver = new RunDriver(this.opts.store, executor, this.clock, this.timers, (n, p) => this.emit(n, p), driverOptions);
    this.live.set(runId, driver);
    const result = driver.drive(openSteps).finally(async () => {
      await sink.flush();
      await outputs.remove();
      this.live.delete(runId);
    });
    return {
      runId,
      result,
      cancel: async (reason) => {
        driver.cancel(reason);
        await result.catch(() => undefined);
        await driver.drained();
      },
    };
  }
}

function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
