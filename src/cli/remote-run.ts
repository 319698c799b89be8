/**
 * @module cli/remote-run
 * A file run submitted to a shared store for workers to execute, and
 * followed from the store: its history events and log lines, read as they
 * are written (woken by the store's notifications, with a 1 s fallback),
 * become the same live events an engine emits, so the output and the exit
 * codes are those of a run in this process.
 */
import { EventEmitter } from 'node:events';
import type { EngineEventMap } from '../core/events.js';
import type { WorkflowDef } from '../core/model.js';
import { durationMs, isCodeRef, type CodeWorkflow, type CodeWorkflowRef } from '../core/workflow-code.js';
import { isFinalRun, type RunStatus, type StepKind, type StepStatus } from '../core/states.js';
import type { RunHandle } from '../engine/engine.js';
import { newRunId } from '../engine/run-id.js';
import { fileRunShape } from '../engine/run-shape.js';
import { runGates } from '../core/flow.js';
import type { RunTrigger } from '../core/run-trigger.js';
import type { EventRow, Store } from '../store/store.js';
import type { EventSource } from './render/reporter.js';
import { loadExpressionHost } from './home.js';

export interface SubmitOptions {
  runId?: string;
  /** Its first steps become claimable only then (quiet hours). */
  notBefore?: number;
  /** A server's limit on runs at once (`--max-runs`). */
  maxRuns?: number;
  /** What started it (default manual). */
  trigger?: RunTrigger;
}

/** A run for workers: no process owns it; a worker claims its steps (a task graph) or the whole run (code). */
export async function submitRun(store: Store, def: WorkflowDef | CodeWorkflowRef, input: unknown, options: SubmitOptions = {}): Promise<string> {
  const { runId = newRunId(Date.now()), notBefore, maxRuns, trigger } = options;
  const gates = runGates(def.name, undefined, undefined, maxRuns);
  if (isCodeRef(def)) {
    await store.createRun({ id: runId, workflow: def.name, definition: def, input: input ?? null, steps: [], ...(gates.length > 0 ? { gates } : {}), ...(trigger ? { trigger } : {}) }, null);
    return runId;
  }
  const definition: WorkflowDef = { ...def, workdir: def.workdir ?? process.cwd() };
  const expressionHost = await loadExpressionHost();
  const shape = fileRunShape(def, input as Record<string, unknown>, expressionHost, maxRuns);
  await store.createRun({ id: runId, workflow: def.name, definition, input, ...shape, ...(notBefore !== undefined ? { notBefore } : {}), ...(trigger ? { trigger } : {}) }, null);
  if (notBefore !== undefined) await store.appendEvent(runId, 'run:held', { data: { until: notBefore, reason: 'quiet hours' } });
  return runId;
}

/** How a worker finds a code workflow again: the module's path (the same on every machine) and its name. */
export function codeDefinition(wf: CodeWorkflow<never, unknown>, module: string): CodeWorkflowRef {
  const ref: CodeWorkflowRef = { kind: 'code', name: wf.name, module, workdir: process.cwd() };
  if (wf.options.timeout !== undefined) ref.timeoutMs = durationMs(wf.options.timeout, `workflow "${wf.name}" timeout`);
  return ref;
}

export class RemoteRun implements EventSource {
  private readonly emitter = new EventEmitter();
  private eventSeq = 0;
  private logSeq = 0;
  private reading = false;
  private again = false;
  private readonly kinds = new Map<string, StepKind>();
  private resolve!: (s: RunStatus) => void;
  private reject!: (e: unknown) => void;
  readonly result: Promise<RunStatus>;
  private stopWatch: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly store: Store,
    readonly runId: string,
    private readonly onIdle?: () => void,
  ) {
    this.emitter.setMaxListeners(0);
    this.result = new Promise<RunStatus>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  on<K extends keyof EngineEventMap>(name: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Follow from now on: what the run did before is not shown again. */
  async skipHistory(): Promise<void> {
    this.eventSeq = (await this.store.getEvents(this.runId)).at(-1)?.seq ?? 0;
    this.logSeq = (await this.store.getLogs({ runId: this.runId })).at(-1)?.seq ?? 0;
  }

  start(): RunHandle {
    this.stopWatch = this.store.watch(() => this.read());
    this.poll = setInterval(() => this.read(), 1000);
    this.read();
    const done = () => {
      this.ended = true;
      this.stopWatch?.();
      clearInterval(this.poll);
    };
    this.result.then(done, done);
    return {
      runId: this.runId,
      result: this.result,
      cancel: async (reason = 'cancelled by user') => {
        if (this.ended) return;
        await this.store.cancelSteps(this.runId, reason);
        await this.store.setRunStatus(this.runId, ['queued', 'running', 'waiting', 'compensating'], 'cancelled', { error: reason });
        this.read();
        await this.result.catch(() => undefined);
      },
    };
  }

  private read(): void {
    if (this.ended) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.catchUp()
      .catch((error: unknown) => this.reject(error))
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.read();
        }
      });
  }

  private async catchUp(): Promise<void> {
    const [logs, events] = await Promise.all([this.store.getLogs({ runId: this.runId, afterSeq: this.logSeq }), this.store.getEvents(this.runId, this.eventSeq)]);
    // In the order they happened: a step's start, then its lines, then how it ended.
    const order = (type: string) => (type === 'step:started' ? 0 : type === 'log' ? 1 : 2);
    const merged = [...events.map((e) => ({ at: e.at, type: e.type, e })), ...logs.map((l) => ({ at: l.at, type: 'log', l }))].sort(
      (a, b) => a.at - b.at || order(a.type) - order(b.type),
    );
    for (const m of merged) {
      if ('e' in m && m.e) {
        this.eventSeq = Math.max(this.eventSeq, m.e.seq);
        this.translate(m.e);
      } else if ('l' in m && m.l) {
        const l = m.l;
        this.logSeq = Math.max(this.logSeq, l.seq);
        this.emitter.emit('step:log', { runId: l.runId, stepId: l.stepId, attempt: l.attempt, stream: l.stream, line: l.line, at: l.at });
      }
    }
    const run = await this.store.getRun(this.runId);
    if (run && isFinalRun(run.status)) {
      this.emitter.emit('run:finished', { runId: this.runId, status: run.status, error: run.error });
      this.resolve(run.status);
    } else if (events.length === 0 && this.eventSeq > 0 && this.onIdle) this.onIdle();
  }

  private translate(e: EventRow): void {
    const stepId = e.stepId;
    if (!stepId) return;
    const data = e.data ?? {};
    if (e.type === 'step:started' || e.type === 'step:waiting') {
      this.emitter.emit('step:started', { runId: this.runId, stepId, kind: this.kinds.get(stepId) ?? kindOf(stepId), attempt: e.attempt ?? 0, at: e.at });
      return;
    }
    if (e.type === 'step:returned') {
      const line = 'given back to the store: it waited too long for a slot behind long steps; any worker may take it';
      this.emitter.emit('step:log', { runId: this.runId, stepId, attempt: e.attempt ?? 0, stream: 'system', line, at: e.at });
      return;
    }
    const status = e.type.slice('step:'.length) as StepStatus;
    if (!['succeeded', 'failed', 'retrying', 'skipped'].includes(status)) return;
    const finished: EngineEventMap['step:finished'] = {
      runId: this.runId,
      stepId,
      kind: kindOf(stepId),
      attempt: e.attempt ?? 0,
      status,
      exitCode: typeof data.exitCode === 'number' ? data.exitCode : null,
      at: e.at,
    };
    const error = data.error ?? data.reason;
    if (typeof error === 'string') finished.error = error;
    if (typeof data.retryAt === 'number') finished.retryAt = data.retryAt;
    this.emitter.emit('step:finished', finished);
  }
}

function kindOf(stepId: string): StepKind {
  if (stepId.endsWith('.rollback')) return 'rollback';
  if (stepId.endsWith('.compensate')) return 'compensate';
  const call = /^(signal|child)\(/.exec(stepId);
  if (call) return call[1] as StepKind;
  return stepId.startsWith('sleep()') ? 'sleep' : 'task';
}
