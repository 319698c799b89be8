/**
 * @module engine/wakeup
 * Small primitives for event-driven loops: a promise settled from outside,
 * and a single re-armable timer at the next due time (no polling).
 */
import type { Timers } from '../core/clock.js';

export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => {
        this.settled = true;
        resolve(v);
      };
      this.reject = (e) => {
        this.settled = true;
        reject(e);
      };
    });
  }
}

/**
 * Timers on the system clock. Node's timers may fire up to a millisecond
 * early by `Date.now()`; a timer here fires only once `now()` has reached
 * its time, re-arming itself for the rest when woken early.
 */
export function systemTimers(now: () => number): Timers {
  return {
    at(at, fn) {
      let timer: NodeJS.Timeout | undefined;
      const tick = () => {
        const left = at - now();
        if (left > 0) {
          timer = setTimeout(tick, left);
          return;
        }
        timer = undefined;
        fn();
      };
      timer = setTimeout(tick, Math.max(0, at - now()));
      return () => clearTimeout(timer);
    },
  };
}

/**
 * One timer, armed at the earliest time asked for (a step claimed "when
 * due" must not be looked for before the clock says it is due).
 */
export class DueTimer {
  private cancel: (() => void) | undefined;
  private dueAt = Infinity;

  constructor(
    private readonly timers: Timers,
    private readonly fire: () => void,
  ) {}

  armAt(at: number): void {
    if (at >= this.dueAt) return;
    this.clear();
    this.dueAt = at;
    this.cancel = this.timers.at(at, () => {
      this.cancel = undefined;
      this.dueAt = Infinity;
      this.fire();
    });
  }

  clear(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.dueAt = Infinity;
  }
}

/** A promise that resolves at `at` on the timers' clock, or rejects when `signal` aborts. */
export function waitUntil(timers: Timers, at: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      cancel();
      reject(signal?.reason as Error);
    };
    const cancel = timers.at(at, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
