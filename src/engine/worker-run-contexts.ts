/**
 * @module engine/worker-run-contexts
 * What a worker keeps for each file run it executes steps of: the run's
 * definition, its task executor, log sink and outputs directory, loaded from
 * the store once (at the run's first step in this worker) and dropped when
 * the run settles. A code run, a finished run or one missing from the store
 * has none. Settling a run (its rollbacks, its end) and timing one out
 * happen here too.
 */
import { formatDuration } from '../core/duration.js';
import { isFinalRun } from '../core/states.js';
import { isCodeRef } from '../core/workflow-code.js';
import type { WorkflowDef } from '../core/model.js';
import type { Engine } from './engine.js';
import { settleRun } from './settle.js';
import type { LogSink } from './log-sink.js';
import type { OutputsDir } from './outputs-file.js';
import type { TaskExecutor } from './task-executor.js';

export interface RunContext {
  def: WorkflowDef;
  executor: TaskExecutor;
  sink: LogSink;
  outputs: OutputsDir;
  rollbackTasks: ReadonlySet<string>;
  /** Steps of the run executing now (its outputs directory stays while any does). */
  users: number;
}

export class WorkerRunContexts {
  private readonly contexts = new Map<string, Promise<RunContext | undefined>>();

  constructor(
    private readonly engine: Engine,
    private readonly opts: { concurrency: number; secretsFor?: ((def: WorkflowDef) => Record<string, string>) | undefined },
  ) {}

  get(runId: string): Promise<RunContext | undefined> {
    let ctx = this.contexts.get(runId);
    if (!ctx) {
      ctx = this.load(runId);
      this.contexts.set(runId, ctx);
      ctx.catch(() => this.contexts.delete(runId));
    }
    return ctx;
  }

  /** The run settled: its context is loaded again if a step of it comes back (a retry). */
  drop(runId: string): void {
    this.contexts.delete(runId);
  }

  /** Settle a run whose open steps ended (or end it as `ending` says): its rollbacks, its status, its context dropped. */
  async settle(runId: string, ctx: RunContext, ending: Parameters<typeof settleRun>[3]): Promise<void> {
    const settled = await settleRun(this.engine.store, runId, ctx.rollbackTasks, ending);
    if (settled.status !== undefined) {
      this.engine.report('run:finished', { runId, status: settled.status, error: settled.error });
      this.drop(runId);
      if (ctx.users === 0) await ctx.outputs.remove();
    }
  }

  /** A run past its timeout: its open steps are cancelled (running ones stop where they run), then it settles timed_out (rollbacks first). */
  async timeOut(runId: string): Promise<void> {
    const ctx = await this.get(runId);
    if (!ctx) return;
    const reason = `run timed out after ${formatDuration(ctx.def.timeoutMs ?? 0)}`;
    await this.engine.store.cancelSteps(runId, reason);
    await this.settle(runId, ctx, { kind: 'timed_out', reason });
  }

  private async load(runId: string): Promise<RunContext | undefined> {
    const run = await this.engine.store.getRun(runId);
    if (!run || isFinalRun(run.status) || isCodeRef(run.definition)) return undefined;
    const def = run.definition;
    const secrets = this.opts.secretsFor?.(def) ?? {};
    const { executor, sink, outputs } = this.engine.fileRunContext(runId, def, run.input as Record<string, unknown>, secrets, { id: 'worker', limit: this.opts.concurrency });
    return { def, executor, sink, outputs, rollbackTasks: new Set(def.tasks.filter((t) => t.rollback).map((t) => t.id)), users: 0 };
  }
}
