/**
 * @module store/sqlite/returns
 * Store.returnClaims on SQLite: claims taken ahead and never started go back
 * to takeable, as if never claimed, inside the caller's write transaction.
 */
import type { Database } from 'better-sqlite3';
import type { Claim } from '../store.js';

type Event = (runId: string, type: string, stepId: string, attempt: number) => void;

export function returnClaims(db: Database, claims: readonly Claim[], event: Event): Claim[] {
  if (claims.length === 0) return [];
  const back = db.prepare(`UPDATE steps SET status = CASE WHEN failures > 0 THEN 'retrying' ELSE 'ready' END, attempt = attempt - 1,
      lease_owner = NULL, lease_until = NULL, started_at = CASE WHEN attempt = 1 THEN NULL ELSE started_at END
    WHERE run_id = ? AND id = ? AND epoch = ? AND status = 'running' RETURNING attempt + 1 AS attempt`);
  const gone = db.prepare('DELETE FROM attempts WHERE run_id = ? AND step_id = ? AND attempt = ?');
  return claims.filter((c) => {
    const row = back.get(c.runId, c.stepId, c.epoch) as { attempt: number } | undefined;
    if (!row) return false;
    gone.run(c.runId, c.stepId, row.attempt);
    event(c.runId, 'step:returned', c.stepId, row.attempt);
    return true;
  });
}
