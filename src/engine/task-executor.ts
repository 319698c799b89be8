/**
 * @module engine/task-executor
 * Performs one claimed step of a file workflow: decides a skip (`if`,
 * upstream failed), renders the command with shell-quoted values, runs it and
 * its healthCheck in a process group with the attempt's timeout, collects
 * outputs, and turns the result into an AttemptOutcome (retry or not).
 */
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { ExprContext, ExpressionHost } from '../core/expressions.js';
import type { ChaosDef, TaskDef, WorkflowDef } from '../core/model.js';
import { backoffDelayMs, shouldRetry, type Random } from '../core/retry.js';
import { formatDuration } from '../core/duration.js';
import { quietUntil } from '../core/quiet-hours.js';
import { coerceError } from '../core/errors.js';
import type { AttemptOutcome, Claim, Store, Stream } from '../store/store.js';
import type { StepContext } from '../core/workflow-code.js';
import type { ChildOutcome } from './code/code-run.js';
import type { Intercept } from './code/run-host.js';
import type { OutputsDir } from './outputs-file.js';
import type { ProcessResult, ProcessSpec } from './process-runner.js';
import type { SecretMasker } from './secret-masker.js';
import type { Abortable, StepAbort } from './step-abort.js';

export interface RunContext {
  runId: string;
  def: WorkflowDef;
  tasks: ReadonlyMap<string, TaskDef>;
  input: Record<string, unknown>;
  secrets: Record<string, string>;
  masker: SecretMasker;
  workdir: string;
  /** A plain copy of the environment steps inherit, shared by the run's commands (see ProcessSpec.baseEnv). */
  baseEnv: Readonly<Record<string, string>>;
  outputs: OutputsDir;
  /** The run's concurrency, enforced by the launcher where processes start. */
  slots: { id: string; limit: number };
}

export interface ExecutorDeps {
  store: Store;
  expr: ExpressionHost;
  clock: Clock;
  random: Random;
  killGraceMs: number;
  /** Runs one command in its own process group (process-runner.ts, or the spawner process). */
  launch: (spec: ProcessSpec) => Promise<ProcessResult>;
  log: (stepId: string, attempt: number, stream: Stream, line: string) => void;
  intercept?: Intercept | undefined;
  /** Runs `function:` and `workflow:` tasks. */
  calls?: TaskCalls;
  /** Chaos for every task without its own (baton server --chaos). */
  chaos?: ChaosDef | undefined;
}

export interface TaskCalls {
  fn(ref: string, from: string, input: Record<string, unknown>, ctx: StepContext): Promise<unknown>;
  workflow(ref: string, from: string, childRunId: string, input: Record<string, unknown>, signal: AbortSignal): Promise<ChildOutcome>;
}

export class TaskExecutor {
  private readonly referenced = new Map<string, string[]>();

  constructor(
    private readonly run: RunContext,
    private readonly deps: ExecutorDeps,
  ) {}

  /** `onStart` is called once, when the attempt's first process starts (not for a skip). */
  async execute(claim: Claim, abort: StepAbort, onStart: () => void = () => undefined): Promise<AttemptOutcome> {
    const taskId = claim.kind === 'rollback' ? (claim.target as string) : claim.stepId;
    const task = this.run.tasks.get(taskId);
    if (!task) return { status: 'failed', error: `task "${taskId}" is not in the workflow definition` };
    const ctx = await this.context(task);
    if (claim.kind === 'task') {
      const facts = { upstreamOk: claim.depsNotOk === 0, upstreamFailed: claim.depsNotOk > 0, cancelled: false };
      let run: boolean;
      try {
        run = this.deps.expr.evaluateCondition(task.if, ctx, facts);
      } catch (error) {
        return { status: 'failed', error: `if: ${coerceError(error).message}` };
      }
      if (!run) return { status: 'skipped', reason: task.if && facts.upstreamOk ? `if: ${task.if} was false` : 'an upstream task did not succeed' };
    }
    const chaos = claim.kind === 'task' ? (task.chaos ?? this.deps.chaos) : undefined;
    if (chaos) {
      const rehearsed = await this.rehearse(chaos, task, claim, abort);
      if (rehearsed) return rehearsed;
    }
    let startedOnce = false;
    const started = () => {
      if (!startedOnce) onStart();
      startedOnce = true;
    };
    const log = (stream: Stream, line: string) => this.deps.log(claim.stepId, claim.attempt, stream, line);
    let outFile: string | undefined;
    let outcome: AttemptOutcome;
    try {
      const command = claim.kind === 'rollback' ? { command: this.deps.expr.renderTemplate(task.rollback as string, ctx, 'shell') } : this.commandOf(task, ctx);
      const mock = this.deps.intercept?.({ runId: this.run.runId, workflow: this.run.def.name, kind: 'task', name: claim.stepId, attempt: claim.attempt });
      if (mock) return this.decide(task, claim, await runMock(mock, claim, abort.signal, (line) => log('stdout', line), started), log);
      if (claim.kind === 'task' && (task.function !== undefined || task.workflow !== undefined)) {
        return this.decide(task, claim, await this.runCall(task, claim, ctx, abort, (line) => log('stdout', line), started), log);
      }
      // Only a command has $BATON_OUTPUT: the run's directory for it is made at its first.
      await this.run.outputs.prepare();
      outFile = this.run.outputs.pathFor(claim.stepId, claim.attempt);
      const env = this.envFor(task, ctx, claim, outFile);
      const cwd = task.cwd ? this.deps.expr.renderTemplate(task.cwd, ctx, 'raw') : undefined;
      const healthCheck = claim.kind === 'task' && task.healthCheck ? this.deps.expr.renderTemplate(task.healthCheck, ctx, 'shell') : undefined;
      outcome = await this.runAttempt(task, { ...command, env, cwd, healthCheck }, abort.signal, log, started);
    } catch (error) {
      outcome = { status: 'failed', error: coerceError(error).message };
    }
    const { outputs, problems } = outFile === undefined ? { outputs: {}, problems: [] } : await this.run.outputs.collect(outFile);
    for (const p of problems) log('system', `$BATON_OUTPUT ${p}`);
    if (outcome.status !== 'skipped' && Object.keys(outputs).length > 0) outcome.outputs = this.run.masker.maskRecord(outputs);
    return this.decide(task, claim, outcome, log);
  }

  /** Chaos: a delay of up to latencyMs, then, with probability failureRate, a failed attempt (retried like any other). */
  private async rehearse(chaos: ChaosDef, task: TaskDef, claim: Claim, signal: Abortable): Promise<AttemptOutcome | undefined> {
    if (chaos.latencyMs > 0) {
      const ms = Math.floor(this.deps.random() * chaos.latencyMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    if (signal.aborted || this.deps.random() >= chaos.failureRate) return undefined;
    this.deps.log(claim.stepId, claim.attempt, 'system', `chaos: this attempt fails on purpose (failureRate ${chaos.failureRate})`);
    return this.decide(task, claim, { status: 'failed', exitCode: null, error: 'chaos: injected failure' }, (stream, line) => this.deps.log(claim.stepId, claim.attempt, stream, line));
  }

  /** A `function:` task (called here) or a `workflow:` task (a child run), with the task's timeout. */
  private async runCall(task: TaskDef, claim: Claim, ctx: ExprContext, abort: StepAbort, log: (line: string) => void, started: () => void): Promise<AttemptOutcome> {
    const calls = this.deps.calls;
    if (!calls) return { status: 'failed', error: 'this engine cannot run function or workflow tasks' };
    started();
    // The call stops at the step's abort or at its timeout; without a
    // timeout no AbortSignal is made unless the function reads ctx.signal.
    let stop: Abortable = abort;
    let signal = (): AbortSignal => abort.signal;
    let timer: NodeJS.Timeout | undefined;
    if (task.timeoutMs !== undefined) {
      const timeout = new AbortController();
      timer = setTimeout(() => timeout.abort(new Error(`timed out after ${formatDuration(task.timeoutMs ?? 0)}`)), task.timeoutMs);
      const both = AbortSignal.any([abort.signal, timeout.signal]);
      stop = both;
      signal = () => both;
    }
    const aborted = new Promise<never>((_, reject) => stop.addEventListener('abort', () => reject(stop.reason as Error), { once: true }));
    aborted.catch(() => undefined);
    const from = this.run.def.source ? dirname(this.run.def.source) : this.run.workdir;
    try {
      const input = renderDeep(task.input ?? {}, (text) => this.deps.expr.renderTemplate(text, ctx, 'raw')) as Record<string, unknown>;
      if (task.function !== undefined) {
        const stepCtx: StepContext = {
          get signal() {
            return signal();
          },
          attempt: claim.attempt,
          runId: claim.runId,
          stepId: claim.stepId,
          log,
        };
        const value = await Promise.race([calls.fn(task.function, from, input, stepCtx), aborted]);
        return { status: 'succeeded', exitCode: null, outputs: toOutputs(value) };
      }
      // Numbered by failed attempts: an attempt lost in a crash finds its child again; a retry after a failure starts a new one.
      const childId = `${claim.runId}.${claim.stepId}.${claim.failures + 1}`;
      log(`child run ${childId}`);
      const out = await calls.workflow(task.workflow as string, from, childId, input, signal());
      if (out.status !== 'succeeded') return { status: 'failed', exitCode: null, error: `child run ${childId} ${out.status}${out.error ? `: ${out.error}` : ''}` };
      return { status: 'succeeded', exitCode: null, outputs: toOutputs(out.result === null ? undefined : JSON.parse(out.result)) };
    } catch (error) {
      return { status: 'failed', exitCode: null, error: coerceError(error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  private decide(task: TaskDef, claim: Claim, outcome: AttemptOutcome, log: (s: Stream, l: string) => void): AttemptOutcome {
    if (outcome.status === 'failed' && claim.kind === 'task') return this.decideRetry(task, claim, outcome, log);
    return outcome;
  }

  private async runAttempt(
    task: TaskDef,
    spec: { command?: string; argv?: string[]; env: NodeJS.ProcessEnv; cwd: string | undefined; healthCheck: string | undefined },
    runSignal: AbortSignal,
    log: (stream: Stream, line: string) => void,
    started: () => void,
  ): Promise<AttemptOutcome> {
    // The attempt's timeout counts from when its process starts, not from
    // when it was prepared and waiting for a slot. Without one, the run's
    // signal serves alone.
    const timeoutMs = task.timeoutMs;
    const timeout = timeoutMs !== undefined ? new AbortController() : undefined;
    let timer: NodeJS.Timeout | undefined;
    const onStart = () => {
      started();
      if (timeout) timer ??= setTimeout(() => timeout.abort(), timeoutMs);
    };
    const signal = timeout ? AbortSignal.any([runSignal, timeout.signal]) : runSignal;
    const cwd = spec.cwd ? resolveIn(this.run.workdir, spec.cwd) : this.run.workdir;
    const base = { env: spec.env, baseEnv: this.run.baseEnv, cwd, signal, killGraceMs: this.deps.killGraceMs, onLine: log, onStart, pool: this.run.slots };
    try {
      const main = await this.deps.launch(spec.command !== undefined ? { ...base, command: spec.command } : { ...base, argv: spec.argv ?? [] });
      const failure = this.describe(main, timeout?.signal.aborted === true, task, 'command');
      if (failure) return failure;
      if (spec.healthCheck !== undefined) {
        log('system', `healthCheck: ${spec.healthCheck}`);
        const check = await this.deps.launch({ ...base, command: spec.healthCheck });
        const checkFailure = this.describe(check, timeout?.signal.aborted === true, task, 'healthCheck');
        if (checkFailure) return checkFailure;
      }
      return { status: 'succeeded', exitCode: main.exitCode };
    } finally {
      clearTimeout(timer);
    }
  }

  private describe(result: ProcessResult, timedOut: boolean, task: TaskDef, what: string): AttemptOutcome | undefined {
    if (result.spawnError) return { status: 'failed', exitCode: null, error: `${what} could not start: ${result.spawnError}` };
    if (result.aborted) {
      const error = timedOut ? `timed out after ${formatDuration(task.timeoutMs ?? 0)}` : 'cancelled';
      return { status: 'failed', exitCode: result.exitCode, error };
    }
    if (result.exitCode === 0) return undefined;
    const error = result.exitCode !== null ? `${what} exited with code ${result.exitCode}` : `${what} was killed by ${result.signal}`;
    return { status: 'failed', exitCode: result.exitCode, error };
  }

  private decideRetry(task: TaskDef, claim: Claim, outcome: AttemptOutcome & { status: 'failed' }, log: (s: Stream, l: string) => void): AttemptOutcome {
    const failures = claim.failures + 1;
    if (!shouldRetry(task.retry, { failures, exitCode: outcome.exitCode ?? null })) {
      log('system', `${outcome.error}; attempt ${failures} of ${task.retry.attempts}, not retrying`);
      return outcome;
    }
    const delay = backoffDelayMs(task.retry, failures + 1, this.deps.random);
    const due = this.deps.clock.now() + delay;
    const quiet = this.run.def.quietHours;
    const until = quietUntil(quiet, due);
    if (until !== undefined && quiet?.action === 'skip') {
      log('system', `${outcome.error}; the retry would fall in quiet hours (until ${new Date(until).toISOString()}): not retrying`);
      return { ...outcome, error: `${outcome.error} (retry skipped: quiet hours)` };
    }
    if (until !== undefined) {
      log('system', `${outcome.error}; retrying after quiet hours, at ${new Date(until).toISOString()} (attempt ${failures + 1} of ${task.retry.attempts})`);
      return { ...outcome, retryAt: until };
    }
    log('system', `${outcome.error}; retrying in ${formatDuration(delay)} (attempt ${failures + 1} of ${task.retry.attempts})`);
    return { ...outcome, retryAt: due };
  }

  private commandOf(task: TaskDef, ctx: ExprContext): { command?: string; argv?: string[] } {
    if (task.command !== undefined) return { command: this.deps.expr.renderTemplate(task.command, ctx, 'shell') };
    return { argv: (task.args ?? []).map((a) => this.deps.expr.renderTemplate(a, ctx, 'raw')) };
  }

  private async context(task: TaskDef): Promise<ExprContext> {
    const ids = this.referencedBy(task);
    const tasks: ExprContext['tasks'] = {};
    if (ids.length > 0) {
      const found = await this.deps.store.getOutputs(this.run.runId, ids);
      for (const [id, v] of found) tasks[id] = v;
    }
    return { inputs: this.run.input, env: { ...this.run.def.env, ...task.env }, secrets: this.run.secrets, tasks };
  }

  private referencedBy(task: TaskDef): string[] {
    let ids = this.referenced.get(task.id);
    if (!ids) {
      const texts = [task.command, task.cwd, task.rollback, task.healthCheck, ...(task.args ?? []), ...Object.values(task.env), ...Object.values(this.run.def.env), ...stringsOf(task.input)];
      const all = new Set<string>(task.if ? this.deps.expr.referencedTasks(task.if, 'condition') : []);
      for (const t of texts) if (t) for (const id of this.deps.expr.referencedTasks(t, 'template')) all.add(id);
      ids = [...all];
      this.referenced.set(task.id, ids);
    }
    return ids;
  }

  /** The step's variables, over the run's base environment. */
  private envFor(task: TaskDef, ctx: ExprContext, claim: Claim, outFile: string): NodeJS.ProcessEnv {
    const render = (v: string) => this.deps.expr.renderTemplate(v, ctx, 'raw');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(this.run.def.env)) env[k] = render(v);
    for (const [k, v] of Object.entries(task.env)) env[k] = render(v);
    for (const [k, v] of Object.entries(this.run.input)) env[inputEnvName(k)] = typeof v === 'string' ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(this.run.secrets)) env[k] = v;
    env.BATON_RUN_ID = this.run.runId;
    env.BATON_WORKFLOW = this.run.def.name;
    env.BATON_TASK_ID = task.id;
    env.BATON_STEP_ID = claim.stepId;
    env.BATON_ATTEMPT = String(claim.attempt);
    env.BATON_IDEMPOTENCY_KEY = `${this.run.runId}:${claim.stepId}`;
    env.BATON_OUTPUT = outFile;
    return env;
  }
}

/** A test harness's stand-in for the task's command: its return value's fields become outputs. */
async function runMock(mock: (ctx: StepContext) => unknown, claim: Claim, signal: AbortSignal, log: (line: string) => void, started: () => void): Promise<AttemptOutcome> {
  started();
  try {
    const value = await mock({ signal, attempt: claim.attempt, runId: claim.runId, stepId: claim.stepId, log });
    return { status: 'succeeded', exitCode: 0, outputs: toOutputs(value) };
  } catch (error) {
    return { status: 'failed', exitCode: null, error: coerceError(error).message };
  }
}

/** A returned value as outputs: an object's fields (text as is, the rest as JSON), anything else as `result`. */
function toOutputs(value: unknown): Record<string, string> {
  const outputs: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) outputs[k] = typeof v === 'string' ? v : JSON.stringify(v);
  } else if (value !== undefined) outputs.result = typeof value === 'string' ? value : JSON.stringify(value);
  return outputs;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

function renderDeep(value: unknown, render: (text: string) => string): unknown {
  if (typeof value === 'string') return render(value);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, render));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, render)]));
  return value;
}

export function inputEnvName(name: string): string {
  return `BATON_INPUT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function resolveIn(base: string, path: string): string {
  return path.startsWith('/') ? path : `${base}/${path}`;
}
