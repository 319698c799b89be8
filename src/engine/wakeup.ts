/**
 * @module engine/wakeup
 * Small primitives for event-driven loops: a promise settled from outside,
 * and a single re-armable timer at the next due time (no polling).
 */

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
 * One timer, armed at the earliest time asked for. It fires only once
 * `now()` has reached the due time: Node's timers may fire up to a
 * millisecond early by `Date.now()`, and a step claimed "when due" by the
 * same clock would then not be claimable yet, with no timer left to retry.
 */
export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  armAt(at: number): void {
    if (at >= this.dueAt) return;
    this.clear();
    this.dueAt = at;
    const tick = () => {
      const left = at - this.now();
      if (left > 0) {
        this.timer = setTimeout(tick, left);
        return;
      }
      this.timer = undefined;
      this.dueAt = Infinity;
      this.fire();
    };
    this.timer = setTimeout(tick, Math.max(0, at - this.now()));
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = Infinity;
  }
}
