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
import type { JournalEntry } from '../../store/store.js';
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
    const startedAt = host.clock.now();
    host.write(store.beginEntry(runId, owner, { position: spec.position, key: spec.key, kind: spec.kind, name: spec.name, attempt, status: 'running', at: startedAt }));
    host.emit('step:started', { runId, stepId: spec.key, kind: spec.kind, attempt, at: startedAt });
    let text: string | undefined;
    let error: Error | undefined;
    try {
      const value = await attemptOnce(host, spec, attempt);
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        error = coerceError(cause);
        error = Object.assign(new Error(`step "${spec.key}" returned a value that is not JSON: ${error.message}`), { name: 'NonRetryableError' });
      }
    } catch (cause) {
      error = coerceError(cause);
    } finally {
      host.active--;
    }
    if (host.stopSignal.aborted) throw host.stopSignal.reason;
    const at = host.clock.now();
    if (!error) {
      await host.mustWrite(store.endEntry(runId, owner, spec.key, attempt, { status: 'succeeded', result: text ?? null }));
      host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'succeeded', exitCode: null, at });
      return { ok: true, text };
    }
    failures++;
    const result = JSON.stringify(storedError(error));
    const retry = error.name !== 'NonRetryableError' && shouldRetry(spec.policy, { failures });
    if (!retry) {
      await host.mustWrite(store.endEntry(runId, owner, spec.key, attempt, { status: 'failed', error: error.message, result }));
      host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'failed', exitCode: null, error: error.message, at });
      return { ok: false, error };
    }
    const delay = error.name === 'RetryAfterError' ? Number((error as { delayMs?: number }).delayMs ?? 0) : backoffDelayMs(spec.policy, attempt + 1, host.random);
    const readyAt = at + delay;
    await host.mustWrite(store.endEntry(runId, owner, spec.key, attempt, { status: 'retrying', error: error.message, result, readyAt }));
    host.emit('step:finished', { runId, stepId: spec.key, kind: spec.kind, attempt, status: 'retrying', exitCode: null, error: error.message, retryAt: readyAt, at });
    await waitUntil(host.timers, readyAt, host.stopSignal);
  }
}

async function attemptOnce(host: RunHost, spec: StepSpec, attempt: number): Promise<unknown> {
  const abort = new AbortController();
  const onStop = () => abort.abort(host.stopSignal.reason);
  host.stopSignal.addEventListener('abort', onStop, { once: true });
  let cancelTimer: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true });
  });
  if (spec.timeoutMs !== undefined) {
    const ms = spec.timeoutMs;
    cancelTimer = host.timers.at(host.clock.now() + ms, () => abort.abort(new StepTimeoutError(spec.key, ms)));
  }
  const fn = host.intercept?.({ runId: host.runId, workflow: host.workflow, kind: spec.kind === 'step' ? 'step' : 'compensate', name: spec.name, attempt }) ?? spec.fn;
  const ctx: StepContext = {
    signal: abort.signal,
    attempt,
    runId: host.runId,
    stepId: spec.key,
    log: (line) => host.log(spec.key, attempt, 'stdout', line),
  };
  try {
    const value = fn(ctx);
    if (!(value instanceof Promise)) return value;
    return await Promise.race([value, aborted]);
  } finally {
    cancelTimer?.();
    host.stopSignal.removeEventListener('abort', onStop);
    aborted.catch(() => undefined);
  }
}
