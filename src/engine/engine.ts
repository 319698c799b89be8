/**
 * @module engine/engine
 * The engine's public face: start, resume and retry runs of file workflows
 * against a Store, and watch them through typed events. It wires one
 * RunDriver and TaskExecutor per run and owns nothing global.
 */
import { EventEmitter } from 'node:events';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { BatonError } from '../core/errors.js';
import type { EngineEventMap } from '../core/events.js';
import type { ExpressionHost } from '../core/expressions.js';
import type { WorkflowDef } from '../core/model.js';
import type { Random } from '../core/retry.js';
import { isFinalRun, isFinalStep, type RunStatus } from '../core/states.js';
import type { Stream, Store } from '../store/store.js';
import { LogSink } from './log-sink.js';
import { RunDriver } from './run-driver.js';
import { newRunId } from './run-id.js';
import { OutputsDir } from './outputs-file.js';
import { runInPool, type ProcessResult, type ProcessSpec } from './process-runner.js';
import { SecretMasker } from './secret-masker.js';
import { TaskExecutor } from './task-executor.js';

export interface EngineOptions {
  store: Store;
  expr: ExpressionHost;
  clock?: Clock;
  random?: Random;
  /** Identifies this process as the owner of the runs it drives. */
  owner?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  /** Between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
  /** Steps at once in one run, when neither the workflow nor the caller says. */
  concurrency?: number;
  /** Environment every step inherits (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where step output files live while a run goes (default: the OS temp directory). */
  scratchDir?: string;
  /**
   * How commands are started (default: in this process; the CLI uses a
   * spawner process). It must honour `spec.pool`: the run's concurrency.
   */
  launch?: (spec: ProcessSpec) => Promise<ProcessResult>;
}

export interface DriveOptions {
  /** Values of the workflow's secrets, read by the caller from its environment. */
  secrets?: Record<string, string>;
  /** Overrides the workflow's concurrency. */
  concurrency?: number;
}

export interface StartOptions extends DriveOptions {
  input?: Record<string, unknown>;
  /** Where commands run (default: the current directory). */
  workdir?: string;
  runId?: string;
}

export interface RunHandle {
  runId: string;
  /** Resolves with the final status once the run has ended. */
  result: Promise<RunStatus>;
  /** Stop the run: its process groups are ended and it is recorded cancelled. Resolves once they are gone. */
  cancel(reason?: string): Promise<void>;
}

export class Engine {
  private readonly emitter = new EventEmitter();
  private readonly clock: Clock;
  readonly owner: string;

  constructor(private readonly opts: EngineOptions) {
    this.clock = opts.clock ?? systemClock;
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

  async start(def: WorkflowDef, options: StartOptions = {}): Promise<RunHandle> {
    const runId = options.runId ?? newRunId(this.clock.now());
    const snapshot: WorkflowDef = { ...def, workdir: options.workdir ?? def.workdir ?? process.cwd() };
    await this.opts.store.createRun(
      { id: runId, workflow: def.name, definition: snapshot, input: options.input ?? {}, steps: def.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn })) },
      this.owner,
    );
    this.emit('run:started', { runId, workflow: def.name, steps: def.tasks.length, resumed: false });
    return this.drive(runId, snapshot, options.input ?? {}, def.tasks.length, options);
  }

  /** Continue a run whose process died: its running steps get a new attempt (the lost one recorded as crashed). */
  async resume(runId: string, options: DriveOptions = {}): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    if (isFinalRun(run.status)) throw new BatonError('CONFLICT', `run ${runId} has already ${run.status}; use "baton retry" to re-run what failed`);
    await this.opts.store.takeRun(runId, this.owner);
    await this.opts.store.recoverRun(runId);
    const open = (await this.opts.store.getSteps(runId)).filter((s) => !isFinalStep(s.status)).length;
    this.emit('run:started', { runId, workflow: run.workflow, steps: open, resumed: true });
    return this.drive(runId, run.definition, run.input, open, options);
  }

  /** Re-run from failure: the tasks that did not succeed run again; successes are kept. */
  async retry(runId: string, options: DriveOptions = {}): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    if (!isFinalRun(run.status)) throw new BatonError('CONFLICT', `run ${runId} is still ${run.status}; use "baton resume" if its process died`);
    if (run.status === 'succeeded') throw new BatonError('CONFLICT', `run ${runId} succeeded; there is nothing to retry`);
    const reset = await this.opts.store.resetForRetry(runId, this.owner);
    this.emit('run:started', { runId, workflow: run.workflow, steps: reset.length, resumed: true });
    return this.drive(runId, run.definition, run.input, reset.length, options);
  }

  private async requireRun(runId: string) {
    const run = await this.opts.store.getRun(runId);
    if (!run) throw new BatonError('NOT_FOUND', `no run ${runId}`);
    return run;
  }

  private async drive(runId: string, def: WorkflowDef, input: Record<string, unknown>, openSteps: number, options: DriveOptions): Promise<RunHandle> {
    const run = await this.requireRun(runId);
    const concurrency = Math.max(1, options.concurrency ?? def.concurrency ?? this.opts.concurrency ?? 4);
    const secrets = options.secrets ?? {};
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
        slots: { id: runId, limit: concurrency },
      },
      { store: this.opts.store, expr: this.opts.expr, clock: this.clock, random: this.opts.random ?? Math.random, killGraceMs: this.opts.killGraceMs ?? 5000, launch: this.opts.launch ?? runInPool, log },
    );
    const driverOptions = {
      runId,
      owner: this.owner,
      concurrency,
      leaseMs: this.opts.leaseMs ?? 30_000,
      heartbeatMs: this.opts.heartbeatMs ?? 10_000,
      failFast: def.failFast,
      rollbackTasks: new Set(def.tasks.filter((t) => t.rollback).map((t) => t.id)),
      ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs, deadline: (run.startedAt ?? run.createdAt) + def.timeoutMs } : {}),
    };
    const driver = new RunDriver(this.opts.store, executor, this.clock, (n, p) => this.emit(n, p), driverOptions);
    const result = driver.drive(openSteps).finally(async () => {
      await sink.flush();
      await outputs.remove();
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
