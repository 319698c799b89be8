/**
 * @module engine/admission-wait
 * A run created queued (its concurrency gates were full) waits here until a
 * run that holds a gate ends and the store starts this one, in whatever
 * process that happens: woken by the store's change notifications, with a
 * slow look as a fallback.
 */
import type { RunStatus } from '../core/states.js';
import type { Store } from '../store/store.js';

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
