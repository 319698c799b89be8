/**
 * @module store/postgres/pg-journal
 * The journal of code runs on PostgreSQL: the rules of
 * store/sqlite/journal.ts. The owner check locks the run's row (FOR SHARE)
 * so ownership cannot change under a journal write.
 */
import type { BeginEntry, EndEntry } from '../store.js';
import type { Tx } from './pg-db.js';
import { event } from './pg-transitions.js';

export async function owns(tx: Tx, runId: string, owner: string): Promise<boolean> {
  const [row] = await tx.q<{ owner: string | null }>('SELECT owner FROM runs WHERE id = $1 FOR SHARE', [runId]);
  return row?.owner === owner;
}

export async function begin(tx: Tx, runId: string, owner: string, e: BeginEntry): Promise<boolean> {
  if (!(await owns(tx, runId, owner))) return false;
  const at = e.at ?? tx.now;
  await tx.q(
    `INSERT INTO steps (run_id, id, kind, name, status, attempt, deps_unmet, depends_on, ready_at, started_at, ord)
     VALUES ($1, $2, $3, $4, $5, $6, 0, '[]', $7, $8, $9)
     ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, ready_at = excluded.ready_at,
       started_at = COALESCE(steps.started_at, excluded.started_at), finished_at = NULL, error = NULL`,
    [runId, e.key, e.kind, e.name, e.status, e.attempt, e.readyAt ?? null, at, e.position],
  );
  if (e.kind === 'step' || e.kind === 'compensate') {
    await tx.q(
      `INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at) VALUES ($1, $2, $3, 'running', $4, $5)
       ON CONFLICT (run_id, step_id, attempt) DO UPDATE SET status = 'running', owner = excluded.owner, started_at = excluded.started_at, finished_at = NULL, error = NULL`,
      [runId, e.key, e.attempt, owner, at],
    );
    await event(tx, runId, 'step:started', e.key, e.attempt, null);
  } else {
    await event(tx, runId, 'step:waiting', e.key, null, e.readyAt ? { until: e.readyAt } : null);
  }
  return true;
}

function endFields(e: EndEntry): { error: string | null; readyAt: number | null } {
  return {
    error: e.status === 'retrying' || e.status === 'failed' ? e.error : null,
    readyAt: e.status === 'retrying' ? e.readyAt : null,
  };
}

async function endEvent(tx: Tx, runId: string, key: string, attempt: number, status: string, error: string | null, readyAt: number | null): Promise<number> {
  const data = error !== null ? (readyAt !== null ? { error, retryAt: readyAt } : { error }) : null;
  return event(tx, runId, `step:${status}`, key, attempt > 0 ? attempt : null, data);
}

export async function finish(tx: Tx, runId: string, owner: string, key: string, attempt: number, e: EndEntry): Promise<boolean> {
  if (!(await owns(tx, runId, owner))) return false;
  if (e.status === 'compensated') {
    const rows = await tx.q(`UPDATE steps SET status = 'compensated' WHERE run_id = $1 AND id = $2 AND status = 'succeeded' RETURNING id`, [runId, key]);
    if (rows.length === 0) return false;
    await event(tx, runId, 'step:compensated', key, null, null);
    return true;
  }
  const { error, readyAt } = endFields(e);
  const rows = await tx.q(
    `UPDATE steps SET status = $1, result = $2, error = $3, ready_at = $4, finished_at = $5, failures = failures + $6
     WHERE run_id = $7 AND id = $8 AND status IN ('running', 'waiting', 'ready', 'retrying') RETURNING kind`,
    [e.status, e.result, error, readyAt, tx.now, error !== null ? 1 : 0, runId, key],
  );
  if (rows.length === 0) return false;
  if (attempt > 0) {
    await tx.q('UPDATE attempts SET status = $1, finished_at = $2, error = $3 WHERE run_id = $4 AND step_id = $5 AND attempt = $6', [
      e.status === 'succeeded' ? 'succeeded' : 'failed',
      tx.now,
      error,
      runId,
      key,
      attempt,
    ]);
  }
  const seq = await endEvent(tx, runId, key, attempt, e.status, error, readyAt);
  if (e.status === 'succeeded') await tx.q('UPDATE steps SET completed_seq = $1 WHERE run_id = $2 AND id = $3', [seq, runId, key]);
  return true;
}

export async function record(tx: Tx, runId: string, owner: string, b: BeginEntry, e: EndEntry): Promise<boolean> {
  if (e.status === 'compensated') throw new Error('recordStep(): a compensation is not an attempt');
  if (!(await owns(tx, runId, owner))) return false;
  const started = b.at ?? tx.now;
  const { error, readyAt } = endFields(e);
  const rows = await tx.q(
    `INSERT INTO steps (run_id, id, kind, name, status, attempt, failures, deps_unmet, depends_on, result, error, ready_at, started_at, finished_at, ord)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, '[]', $8, $9, $10, $11, $12, $13)
     ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, failures = steps.failures + excluded.failures,
       result = excluded.result, error = excluded.error, ready_at = excluded.ready_at,
       started_at = COALESCE(steps.started_at, excluded.started_at), finished_at = excluded.finished_at
     WHERE steps.status IN ('ready', 'retrying', 'running') RETURNING id`,
    [runId, b.key, b.kind, b.name, e.status, b.attempt, error !== null ? 1 : 0, e.result, error, readyAt, started, tx.now, b.position],
  );
  if (rows.length === 0) return false;
  await tx.q(
    `INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at, finished_at, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (run_id, step_id, attempt) DO UPDATE SET status = excluded.status, owner = excluded.owner, started_at = excluded.started_at,
       finished_at = excluded.finished_at, error = excluded.error`,
    [runId, b.key, b.attempt, e.status === 'succeeded' ? 'succeeded' : 'failed', owner, started, tx.now, error],
  );
  const seq = await endEvent(tx, runId, b.key, b.attempt, e.status, error, readyAt);
  if (e.status === 'succeeded') await tx.q('UPDATE steps SET completed_seq = $1 WHERE run_id = $2 AND id = $3', [seq, runId, b.key]);
  return true;
}

export async function recordValue(tx: Tx, runId: string, owner: string, e: { position: number; key: string; name: string; result: string }): Promise<boolean> {
  if (!(await owns(tx, runId, owner))) return false;
  await tx.q(
    `INSERT INTO steps (run_id, id, kind, name, status, deps_unmet, depends_on, result, started_at, finished_at, ord)
     VALUES ($1, $2, 'value', $3, 'succeeded', 0, '[]', $4, $5, $5, $6) ON CONFLICT DO NOTHING`,
    [runId, e.key, e.name, e.result, tx.now, e.position],
  );
  return true;
}

/**
 * Takers of a run's signals queue on the run's row: with SKIP LOCKED, a
 * second taker would pass over a signal that the first then does not take,
 * and wait for a signal that is there.
 */
export async function takeSignal(tx: Tx, runId: string, owner: string, name: string, key: string): Promise<{ payload: string | null } | undefined> {
  const [run] = await tx.q<{ owner: string | null }>('SELECT owner FROM runs WHERE id = $1 FOR UPDATE', [runId]);
  if (run?.owner !== owner) return undefined;
  const [sig] = await tx.q<{ seq: number; payload: string | null }>(
    'SELECT seq, payload FROM signals WHERE run_id = $1 AND name = $2 AND taken_by IS NULL ORDER BY seq LIMIT 1',
    [runId, name],
  );
  if (!sig) return undefined;
  const took = await tx.q(`UPDATE steps SET status = 'succeeded', result = $1, finished_at = $2 WHERE run_id = $3 AND id = $4 AND status = 'waiting' RETURNING id`, [
    sig.payload,
    tx.now,
    runId,
    key,
  ]);
  if (took.length === 0) return undefined;
  await tx.q('UPDATE signals SET taken_by = $1, taken_at = $2 WHERE seq = $3', [key, tx.now, sig.seq]);
  await event(tx, runId, 'signal:received', key, null, { name, seq: sig.seq });
  return { payload: sig.payload };
}
