/**
 * @module engine/claim-ahead
 * How many steps a worker claims beyond its concurrency, to keep in a local
 * queue. A slot that frees while a round trip to the store is out stays idle
 * until the next round trip brings it a step; with steps shorter than a round
 * trip the slots are idle most of the time and each round trip carries few
 * steps, so the store's per-round-trip cost bounds throughput.
 *
 * The queue holds what the slots would finish during one round trip (Little's
 * law: concurrency x round trip / step time), up to a cap. Steps longer than
 * a round trip get next to none ahead, so they stay in the store for other
 * workers to take; until both times are measured, none. graphile-worker's
 * local queue and RabbitMQ's prefetch do the same with a fixed size, which
 * either starves fast jobs or hoards slow ones.
 *
 * A step claimed ahead is leased (heartbeats extend it) and counted as
 * started in the store from its claim; it waits about one round trip, and
 * goes back to the store if its wait runs long (give-back.ts).
 */

/** Weight of the newest sample in the moving averages. */
const WEIGHT = 0.2;
/** Below this a step's time is taken as this (a no-op function takes microseconds). */
const SHORTEST_STEP_MS = 0.05;

export class ClaimAhead {
  private tripMs: number | undefined;
  private stepMs: number | undefined;
  /** Slots held by steps running long (give-back.ts): they free nothing during a round trip. */
  stuck = 0;

  /** `max`: the most steps held beyond the concurrency (0 turns claiming ahead off). */
  constructor(
    private readonly concurrency: number,
    private readonly max: number,
  ) {}

  /** A round trip (finishes and claims) took `ms`. */
  tripTook(ms: number): void {
    this.tripMs = average(this.tripMs, ms);
  }

  /** A step executed (from its start in a slot to its outcome) in `ms`. */
  stepTook(ms: number): void {
    this.stepMs = average(this.stepMs, ms);
  }

  /** Steps to hold beyond the concurrency now. */
  get extra(): number {
    if (this.max === 0 || this.tripMs === undefined || this.stepMs === undefined) return 0;
    const turning = Math.max(0, this.concurrency - this.stuck);
    const wanted = (turning * this.tripMs) / Math.max(this.stepMs, SHORTEST_STEP_MS);
    return Math.min(this.max, Math.floor(wanted));
  }
}

const average = (prev: number | undefined, sample: number): number => (prev === undefined ? sample : prev + WEIGHT * (sample - prev));
