/**
 * @module engine/children
 * Child runs: of a code step (`ctx.child`) and of a file task (`workflow:`).
 * A child's id derives from its parent (the journal position, or the task and
 * its failed attempts), so a replay after a crash finds the same child: it is
 * started once, resumed if unfinished, read back if done. The parent's stop
 * cancels it.
 */
import { BatonError } from '../core/errors.js';
import type { WorkflowDef } from '../core/model.js';
import { isFinalRun } from '../core/states.js';
import { findCodeWorkflow, isCodeRef, type CodeWorkflow } from '../core/workflow-code.js';
import type { Store } from '../store/store.js';
import type { ChildOutcome, ChildRequest } from './code/code-run.js';

/** Where a child run lives: its working directory, where its reference is resolved from, the module to load its code from again. */
export interface ChildPlace {
  workdir: string;
  from: string;
  module?: string;
}

interface Handle {
  result: Promise<unknown>;
  cancel(reason?: string): Promise<void>;
}

export interface ChildHost {
  store: Store;
  load: ((ref: string, from: string) => Promise<WorkflowDef | CodeWorkflow<never, unknown>>) | undefined;
  start(target: WorkflowDef | CodeWorkflow<never, unknown>, options: { runId: string; parentId: string; input: unknown; workdir: string; module?: string }): Promise<Handle>;
  resume(runId: string): Promise<Handle>;
}

/** `order`, not `./order.ts`: a workflow named, to look up among those defined, then as a file. */
function isBareName(ref: string): boolean {
  return !ref.includes('/') && !/\.(ts|mts|js|mjs|ya?ml|json)$/.test(ref);
}

export class Children {
  /** Children being started, resumed or read back: work no live run accounts for. */
  private busy = 0;

  constructor(private readonly host: ChildHost) {}

  idle(): boolean {
    return this.busy === 0;
  }

  async run(req: ChildRequest, where: ChildPlace): Promise<ChildOutcome> {
    const handle = await this.counted(() => this.startOrResume(req, where));
    if (handle) {
      const onAbort = () => void handle.cancel('the parent run stopped');
      req.signal.addEventListener('abort', onAbort, { once: true });
      try {
        await handle.result;
      } finally {
        req.signal.removeEventListener('abort', onAbort);
      }
    }
    return this.counted(() => this.outcome(req.runId));
  }

  private async counted<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
    }
  }

  private async startOrResume(req: ChildRequest, { workdir, from, module }: ChildPlace): Promise<Handle | undefined> {
    const existing = await this.host.store.getRun(req.runId);
    if (existing) return isFinalRun(existing.status) ? undefined : this.host.resume(req.runId);
    let target: WorkflowDef | CodeWorkflow<never, unknown>;
    if (typeof req.workflow === 'string') {
      const load = this.host.load;
      if (!load) throw new BatonError('USAGE', `child workflow "${req.workflow}": this engine cannot load workflow files (no "load" option)`);
      target = (isBareName(req.workflow) ? findCodeWorkflow(req.workflow) : undefined) ?? (await load(req.workflow, from));
    } else target = req.workflow;
    return this.host.start(target, { runId: req.runId, parentId: req.parentId, input: req.input, workdir, ...(module ? { module } : {}) });
  }

  /** A code child's result; a file child's result is its tasks' outputs. */
  private async outcome(runId: string): Promise<ChildOutcome> {
    const { store } = this.host;
    const run = await store.getRun(runId);
    if (!run) throw new BatonError('NOT_FOUND', `child run ${runId} disappeared from the store`);
    let result = (await store.getRunDetail(runId))?.result ?? null;
    if (result === null && !isCodeRef(run.definition)) {
      const outputs: Record<string, Record<string, string>> = {};
      for (const s of await store.getSteps(runId)) if (s.kind === 'task') outputs[s.id] = s.outputs;
      result = JSON.stringify(outputs);
    }
    return { status: run.status, result, error: run.error };
  }
}
