/**
 * @module engine/prefetch
 * How many steps a run keeps prepared (claimed and handed to the launcher)
 * beyond the `concurrency` that run at once. When a process ends, the next
 * starts at once from those; meanwhile the engine records the outcome and
 * claims more, which takes it a few milliseconds (a commit; with `full`
 * durability, an fsync), ten or more when the machine is busy. So enough are
 * prepared to cover COVER_MS at the pace processes start: `concurrency` for
 * steps that last longer than that (as many as run), more for very short ones
 * (`true` lasts a millisecond or two), up to four times `concurrency`. A
 * claimed step counts as running in the store, so long steps are not claimed
 * earlier than they need to be.
 */

/** The time the prepared steps should last at the pace processes start. */
const COVER_MS = 20;

export class Prefetch {
  private lastStart: number | undefined;
  private averageGapMs: number | undefined;

  constructor(private readonly concurrency: number) {}

  /** A step's process started at `at` (ms). */
  started(at: number): void {
    if (this.lastStart !== undefined) {
      const gap = Math.max(0, at - this.lastStart);
      this.averageGapMs = this.averageGapMs === undefined ? gap : 0.9 * this.averageGapMs + 0.1 * gap;
    }
    this.lastStart = at;
  }

  /** Steps to keep prepared beyond those running: `concurrency` until processes prove to start often. */
  get depth(): number {
    const n = this.concurrency;
    if (this.averageGapMs === undefined) return n;
    const needed = Math.ceil(COVER_MS / Math.max(this.averageGapMs, 0.1));
    return Math.min(Math.max(needed, n), 4 * n);
  }
}
