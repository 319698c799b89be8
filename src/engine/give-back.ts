/**
 * @module engine/give-back
 * Which steps a worker holds should go back to the store. A step claimed
 * ahead waits for a slot for about one round trip while the slots turn over
 * fast; when they fill with steps that run long (short steps followed by
 * long ones), what waits behind them would wait for as long as those run,
 * while other workers sit idle. graphile-worker returns its local queue
 * after a TTL of minutes; here the queue is sized for milliseconds, so a
 * step that waited `ttl` (250 ms unless told) goes back, and slots held by
 * one step for half that count as stuck: claim-ahead plans for the slots
 * still turning over, so what went back is not claimed again at once.
 */
import type { Claim, Store } from '../store/store.js';
import type { StepAbort } from './step-abort.js';

/** A step in a worker's hands (times from performance.now()). */
export interface Held {
  claim: Claim;
  abort: StepAbort;
  claimedAt: number;
  /** When it got a slot. */
  startedAt?: number;
  /** Its outcome is known (waiting to be recorded). */
  ended?: boolean;
  /** On its way back to the store. */
  returning?: boolean;
}

/** Steps waiting for a slot for `wait` ms or more, and the slots held by one step for `ttl` / 2 ms or more. */
export function overdue(held: Iterable<Held>, now: number, ttl: number, wait = ttl): { late: Held[]; stuck: number } {
  const late: Held[] = [];
  let stuck = 0;
  for (const h of held) {
    if (h.startedAt === undefined) {
      if (!h.returning && now - h.claimedAt >= wait) late.push(h);
    } else if (!h.ended && now - h.startedAt >= ttl / 2) {
      stuck++;
    }
  }
  return { late, stuck };
}

/** Stop the steps' waits for a slot and give their claims back; a failed call is only warned of (see Worker.giveBack). */
export async function giveBack(store: Store, late: readonly Held[], warn: (message: string) => void): Promise<void> {
  for (const h of late) {
    h.returning = true;
    h.abort.abort(new Error('given back'));
  }
  await store.returnClaims(late.map((h) => h.claim)).catch((error: unknown) => {
    warn(`giving back ${late.length} step(s) claimed ahead failed: ${(error as Error).message}`);
  });
}
