/**
 * @module engine/code/attempts
 * Runs one journaled step of a code run (or a compensation) to its end:
 * attempt after attempt under its retry policy, each with its timeout as an
 * AbortSignal, each begun and ended in the journal. The begin write is not
 * awaited: for a quick step it shares the end's commit, one transaction. (So
 * a step that blocks the event loop from its start, and is killed before it
 * yields, leaves no record of that attempt: it runs again as the same attempt.)
 */
import { formatDuration } from '../../core/duration.js';
import { coerceError } from '../../core/errors.js';
import type { RetryPolicy } from '../../core/model.js';
import { backoffDelayMs, shouldRetry } from '../../core/retry.js';
import { storedError, type StepContext } from '../../core/workflow-code.js';
import type { BeginEntry, EndEntry, JournalEntry } from '../../store/store.js';
import { waitUntil } from '../wakeup.js';
import type { RunHost } from './run-host.js';

export interface StepSpec {
  position: number;
  key: string;
  name: string;
  kind: 'step' | 'compensate';
  policy: RetryPolicy;
  timeoutMs?: number;
  fn: (ctx: StepContext) => unknown;
  /** The journal's entry when an earlier execution began this step. */
  entry?: JournalEntry;
}

export type StepEnd = { ok: true; text: string | undefined } | { ok: false; error: Error };

export class StepTimeoutError extends Error {
  constructor(key: string, ms: number) {
    super(`step "${key}" timed out after ${formatDuration(ms)}`);
    this.name = 'StepTimeoutError';
  }
}

export async function runStep(host: RunHost, spec: StepSpec): Promise<StepEnd> {
  const { store, runId, owner } = host;
  let attempt = spec.entry?.attempt ?? 0;
  let failures = spec.entry?.failures ?? 0;
  if (spec.entry?.status === 'retrying' && spec.entry.readyAt !== null) {
    await waitUntil(host.timers, spec.entry.readyAt, host.stopSignal);
  }
  for (;;) {
    attempt++;
    host.active++;
    const begin: BeginEntry = { position: spec.position, key: spec.key, kind: spec.kind, name: spec.name, attempt, status: 'running', at: host.clock.now() };
    // The begin is written once the step has run for a turn of the event
    // loop; a step done sooner is written once, begin and end together.
    let begun = false;
    const beginLater = setImmediate(() => {
      begun = true;
      host.write(store.beginEntry(runId, owner, begin));
    });
    const end = (e: EndEntry) => {
      if (begun) return store.endEntry(runId, owner, spec.key, attempt, e);
      clearImmediate(beginLater);
      return store.recordStep(runId, owner, begin, e);
    };
    host.emit('step:started', { runId, stepId: spec.key, kind: spec.kind, attempt, at: begin.at ?? 0 });
    let text: string | undefined;
    let error: Error | undefined;
    try {
      const value = await attemptOnce(host, spec, attempt);
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        error = Object.assign(new Error(`step "${spec.key}" returned a value that is not JSON: ${coerceError(cause).message}`), { name: 'NonRetryableError' });
      }
    } catch (cause) {
      error = coerceError(cause);
    } finally {
      host.active--;
    }
    if (host.stopSignal.aborted) {
      clearImmediate(beginLater);
      throw host.stopSignal.reason;
    }
    const at = host.clock.now();
    if (!error) {
      await host.mustWrite(end({ status: 'succeeded', result: text ?? null }));
      host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'succeeded', exitCode: null, at });
      return { ok: true, text };
    }
    failures++;
    const result = JSON.stringify(storedError(error));
    const retry = error.name !== 'NonRetryableError' && shouldRetry(spec.policy, { failures });
    if (!retry) {
      await host.mustWrite(end({ status: 'failed', error: error.message, result }));
      host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'failed', exitCode: null, error: error.message, at });
      return { ok: false, error };
    }
    const delay = error.name === 'RetryAfterError' ? Number((error as { delayMs?: number }).delayMs ?? 0) : backoffDelayMs(spec.policy, attempt + 1, host.random);
    const readyAt = at + delay;
    await host.mustWrite(end({ status: 'retrying', error: error.message, result, readyAt }));
    host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'retrying', exitCode: null, error: error.message, retryAt: readyAt, at });
    await waitUntil(host.timers, readyAt, host.stopSignal);
  }
}

/**
 * One attempt. The step's AbortSignal is made only if the step reads it
 * (most quick steps do not); a step that returns a promise is raced against
 * its timeout and the run's stop.
 */
function attemptOnce(host: RunHost, spec: StepSpec, attempt: number): unknown {
  let controller: AbortController | undefined;
  let stopped: Error | undefined;
  const ctx: StepContext = {
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (stopped) controller.abort(stopped);
      }
      return controller.signal;
    },
    attempt,
    runId: host.runId,
    stepId: spec.key,
    log: (line) => host.log(spec.key, attempt, 'stdout', line),
  };
  const fn = host.intercept?.({ runId: host.runId, workflow: host.workflow, kind: spec.kind === 'step' ? 'step' : 'compensate', name: spec.name, attempt }) ?? spec.fn;
  const value = fn(ctx);
  if (!(value instanceof Promise)) return value;
  return new Promise((resolve, reject) => {
    const stop = (reason: Error) => {
      stopped = reason;
      controller?.abort(reason);
      reject(reason);
    };
    const offStop = host.onStop(stop);
    const cancelTimer =
      spec.timeoutMs !== undefined ? host.timers.at(host.clock.now() + spec.timeoutMs, () => stop(new StepTimeoutError(spec.key, spec.timeoutMs ?? 0))) : undefined;
    const done = () => {
      offStop();
      cancelTimer?.();
    };
    value.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e as Error);
      },
    );
  });
}
