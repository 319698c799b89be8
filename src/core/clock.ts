/**
 * @module core/clock
 * Time is injected: everything that reads the time takes a Clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
