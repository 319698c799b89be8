/**
 * @module engine/code/context
 * The `ctx` a workflow function receives. Each method takes its journal
 * position synchronously, before any await (so `Promise.all` over steps gives
 * the same positions on every replay), checks its arguments, and hands the
 * call to the run.
 */
import { randomUUID } from 'node:crypto';
import { BatonError } from '../../core/errors.js';
import { durationMs, isCodeWorkflow, retryPolicy, type CodeWorkflow, type WorkflowContext } from '../../core/workflow-code.js';
import type { RetryPolicy } from '../../core/model.js';
import type { CodeRun } from './code-run.js';
import { childCall, signalCall, sleepCall } from './waits.js';

export function makeContext(run: CodeRun, defaults: { retry: RetryPolicy }): WorkflowContext {
  return {
    runId: run.runId,
    workflow: run.workflow,

    step(name, fn, options = {}) {
      checkName(name, 'ctx.step');
      if (typeof fn !== 'function') throw new BatonError('USAGE', `ctx.step("${name}"): the second argument must be a function`);
      const policy = retryPolicy(options.retry, defaults.retry);
      const timeoutMs = options.timeout !== undefined ? durationMs(options.timeout, `ctx.step("${name}") timeout`) : undefined;
      const call = run.call('step', name);
      if (!call) return run.never();
      return run.runStepCall(call, name, fn, policy, timeoutMs, options.compensate);
    },

    sleep(duration) {
      const ms = durationMs(duration, 'ctx.sleep');
      const call = run.call('sleep', 'sleep');
      if (!call) return run.never();
      return sleepCall(run, call, run.clock.now() + ms);
    },

    sleepUntil(date) {
      const at = typeof date === 'number' ? date : date instanceof Date ? date.getTime() : NaN;
      if (!Number.isFinite(at)) throw new BatonError('USAGE', `ctx.sleepUntil: expected a Date or a number of ms since the epoch (got ${String(date)})`);
      const call = run.call('sleep', 'sleep');
      if (!call) return run.never();
      return sleepCall(run, call, at);
    },

    waitForSignal<T>(name: string, options: { timeout?: string | number } = {}) {
      checkName(name, 'ctx.waitForSignal');
      const timeoutMs = options.timeout !== undefined ? durationMs(options.timeout, `ctx.waitForSignal("${name}") timeout`) : undefined;
      const call = run.call('signal', name);
      if (!call) return run.never<T | undefined>();
      return signalCall(run, call, name, timeoutMs) as Promise<T | undefined>;
    },

    child<I, T>(workflow: CodeWorkflow<I, T> | string, input?: I) {
      if (typeof workflow !== 'string' && !isCodeWorkflow(workflow)) {
        throw new BatonError('USAGE', 'ctx.child: expected a workflow made by defineWorkflow, or the path of a workflow file');
      }
      const name = typeof workflow === 'string' ? workflow : workflow.name;
      const call = run.call('child', name);
      if (!call) return run.never<T>();
      return childCall(run, call, workflow as CodeWorkflow<never, unknown> | string, name, input ?? {}) as Promise<T>;
    },

    exec(command, options = {}) {
      const words = typeof command === 'string' ? command.trim().split(/\s+/) : command;
      if (words.length === 0 || words[0] === '') throw new BatonError('USAGE', 'ctx.exec: the command is empty');
      const name = options.name ?? (words[0] as string).split('/').pop() ?? 'exec';
      checkName(name, 'ctx.exec');
      const policy = retryPolicy(options.retry, defaults.retry);
      const timeoutMs = options.timeout !== undefined ? durationMs(options.timeout, `ctx.exec("${name}") timeout`) : undefined;
      const call = run.call('step', name);
      if (!call) return run.never();
      return run.runStepCall(call, name, run.execFn(command, options), policy, timeoutMs, undefined);
    },

    now() {
      const call = run.call('value', 'now');
      return call ? (run.valueCall(call, 'now', () => run.clock.now()) as number) : NaN;
    },

    random() {
      const call = run.call('value', 'random');
      return call ? (run.valueCall(call, 'random', Math.random) as number) : NaN;
    },

    uuid() {
      const call = run.call('value', 'uuid');
      return call ? (run.valueCall(call, 'uuid', randomUUID) as string) : '';
    },

    setStatus(value) {
      run.setUserStatus(value);
    },
  };
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name === '' || /[#()]/.test(name)) {
    throw new BatonError('USAGE', `${what}: the name must be a non-empty string without "#", "(" or ")" (got ${JSON.stringify(name)})`);
  }
}
