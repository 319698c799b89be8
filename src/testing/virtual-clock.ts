/**
 * @module testing/virtual-clock
 * A clock that moves only when told: timers fire in time order as it is
 * advanced, so a 24-hour sleep takes no real time.
 */
import type { Clock, Timers } from '../core/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class VirtualClock implements Clock, Timers {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  at(at: number, fn: () => void): () => void {
    const timer: Timer = { at, seq: this.seq++, fn };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (at <= this.time) queueMicrotask(() => this.fireDue());
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** The earliest pending timer's time, if any. */
  nextTimer(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Move to `to` (never backwards) and fire what is due there. */
  set(to: number): void {
    this.time = Math.max(this.time, to);
    this.fireDue();
  }

  private fireDue(): void {
    while (this.timers.length > 0 && (this.timers[0] as Timer).at <= this.time) {
      const t = this.timers.shift() as Timer;
      t.fn();
    }
  }
}
