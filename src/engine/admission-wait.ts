/**
 * @module engine/admission-wait
 * A run created queued (its concurrency gates were full) waits here until a
 * run that holds a gate ends and the store starts this one, in whatever
 * process that happens: woken by the store's change notifications, with a
 * slow look as a fallback.
 */
import type { RunStatus } from '../core/states.js';
import type { Store } from '../store/store.js';
import type { RunHandle } from './engine.js';

const FALLBACK_MS = 1000;

/** Resolves with the run's status once it is no longer queued (running, or cancelled while it waited). */
export function waitAdmitted(store: Store, runId: string, signal?: AbortSignal): Promise<RunStatus> {
  return new Promise<RunStatus>((resolve, reject) => {
    let looking = false;
    let again = false;
    const stop = (): void => {
      unwatch();
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const look = (): void => {
      if (looking) {
        again = true;
        return;
      }
      looking = true;
      store
        .getRun(runId)
        .then((run) => {
          looking = false;
          if (run && run.status !== 'queued') {
            stop();
            resolve(run.status);
          } else if (again) {
            again = false;
            look();
          }
        })
        .catch((error: unknown) => {
          stop();
          reject(error);
        });
    };
    const onAbort = (): void => {
      stop();
      reject(signal?.reason);
    };
    const unwatch = store.watch((id) => {
      if (id === undefined || id === runId) look();
    });
    const timer = setInterval(look, FALLBACK_MS);
    signal?.addEventListener('abort', onAbort);
    look();
  });
}

/**
 * The handle of a queued run: its result waits for admission, then for the
 * run `start` drives. Cancelled while still queued, it ends there; admitted
 * meanwhile, the driver is cancelled as it starts.
 */
export function queuedRun(store: Store, runId: string, hooks: { start(): Promise<RunHandle>; cancelled(reason: string): void }): RunHandle {
  const stop = new AbortController();
  let handle: RunHandle | undefined;
  let cancelled: string | undefined;
  const result = waitAdmitted(store, runId, stop.signal)
    .then(async (status) => {
      if (status !== 'running') return status;
      handle = await hooks.start();
      if (cancelled !== undefined) void handle.cancel(cancelled);
      return handle.result;
    })
    .catch((error: unknown): RunStatus => {
      if (stop.signal.aborted) return 'cancelled';
      throw error;
    });
  return {
    runId,
    result,
    cancel: async (reason = 'cancelled by user') => {
      cancelled = reason;
      if (handle) return handle.cancel(reason);
      if (await store.setRunStatus(runId, ['queued'], 'cancelled', { error: reason })) {
        await store.cancelSteps(runId, reason);
        stop.abort();
        hooks.cancelled(reason);
      }
      await result.catch(() => undefined);
    },
  };
}
