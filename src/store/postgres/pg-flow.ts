/**
 * @module store/postgres/pg-flow
 * Flow control on PostgreSQL: pools defined and read, and why a run waits.
 * Admission itself is SQL (baton_admit_runs, baton_admit_pools: migration
 * 0007), called in the transactions that free or need a slot.
 */
import type { FlowView, PoolView } from '../../core/flow.js';
import type { PgDb } from './pg-db.js';

export async function setPool(db: PgDb, name: string, slots: number | null): Promise<void> {
  await db.tx(async (tx) => {
    if (slots === null) await tx.q('DELETE FROM pools WHERE name = $1', [name]);
    else await tx.q('INSERT INTO pools (name, slots) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET slots = excluded.slots', [name, slots]);
    await tx.q('SELECT baton_admit_pools(ARRAY[$1::text], $2)', [name, tx.now]);
  });
}

interface PoolRecord {
  name: string;
  slots: number | null;
  used: string;
  queued: string;
}

const POOL_VIEW = `SELECT n.name, p.slots,
    (SELECT count(*) FROM steps s WHERE s.pool = n.name AND s.status IN ('ready', 'running', 'retrying')) AS used,
    (SELECT count(*) FROM steps s WHERE s.pool = n.name AND s.status = 'queued') AS queued
  FROM names n LEFT JOIN pools p ON p.name = n.name ORDER BY n.name`;

function toPool(r: PoolRecord): PoolView {
  return { name: r.name, slots: r.slots, used: Number(r.used), queued: Number(r.queued) };
}

export async function listPools(db: PgDb): Promise<PoolView[]> {
  const rows = await db.q<PoolRecord>(
    `WITH names AS (SELECT name FROM pools UNION SELECT DISTINCT pool FROM steps WHERE pool IS NOT NULL AND status IN ('queued', 'ready', 'running', 'retrying'))
     ${POOL_VIEW}`,
  );
  return rows.map(toPool);
}

export async function flow(db: PgDb, runId: string): Promise<FlowView> {
  const gates = await db.q<{ gate: string; lim: number; held: string; queued: string }>(
    `SELECT g.gate, g.lim, (SELECT count(*) FROM run_gates h WHERE h.gate = g.gate AND h.held) AS held,
       (SELECT count(*) FROM run_gates q WHERE q.gate = g.gate AND NOT q.held) AS queued
     FROM run_gates g WHERE g.run_id = $1 ORDER BY g.gate`,
    [runId],
  );
  const queued = await db.q<{ id: string; pool: string }>(`SELECT id, pool FROM steps WHERE run_id = $1 AND status = 'queued' ORDER BY ord`, [runId]);
  const names = [...new Set(queued.map((s) => s.pool))];
  const pools = names.length === 0 ? [] : (await db.q<PoolRecord>(`WITH names AS (SELECT unnest($1::text[]) AS name) ${POOL_VIEW}`, [names])).map(toPool);
  const byName = new Map(pools.map((p) => [p.name, p]));
  return {
    gates: gates.map((g) => ({ key: g.gate, limit: g.lim, held: Number(g.held), queued: Number(g.queued) })),
    steps: queued.map((s) => ({ stepId: s.id, pool: byName.get(s.pool) as PoolView })),
  };
}
