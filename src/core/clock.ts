/**
 * @module core/clock
 * Time is injected: everything that reads the time takes a Clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Timers on a clock's time: the system's, or a virtual one in tests. */
export interface Timers {
  /** Call `fn` once the clock has reached `at` (ms epoch). Returns a function that cancels it. */
  at(at: number, fn: () => void): () => void;
}
