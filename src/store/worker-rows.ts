/**
 * @module store/worker-rows
 * The worker registry's queries, in SQL both backends speak (`?`
 * placeholders; PostgreSQL numbers them), and its rows mapped to
 * core/workers' views in one place.
 */
import { WORKER_STATES, workerState, type HeldRun, type HeldStep, type WorkerList, type WorkerView } from '../core/workers.js';

/**
 * Workers, those not stopped first, the most recently seen first: the
 * `limit` kept are the live ones and the latest others.
 */
export const WORKERS_SQL = 'SELECT * FROM workers ORDER BY CASE WHEN stopped_at IS NULL THEN 0 ELSE 1 END, seen_at DESC, id LIMIT ?';

/** Steps running under a registered worker's lease, with the start of their current attempt. */
export const HELD_STEPS_SQL = `SELECT s.lease_owner AS worker, s.run_id, r.workflow, s.id AS step_id, s.kind, s.attempt, a.started_at
  FROM steps s JOIN runs r ON r.id = s.run_id
  LEFT JOIN attempts a ON a.run_id = s.run_id AND a.step_id = s.id AND a.attempt = s.attempt
  WHERE s.status = 'running' AND s.lease_owner IN (SELECT id FROM workers)
  ORDER BY a.started_at, s.run_id, s.id`;

/** Code runs a registered worker holds (runs_code_open finds them). */
export const HELD_RUNS_SQL = `SELECT owner AS worker, id AS run_id, workflow, status FROM runs
  WHERE kind = 'code' AND status IN ('running', 'waiting', 'compensating') AND owner IN (SELECT id FROM workers)
  ORDER BY created_at, id`;

/** Rows of workers stopped, or not seen, since before a cutoff (the one registering is kept). */
export const PRUNE_WORKERS_SQL = 'DELETE FROM workers WHERE COALESCE(stopped_at, seen_at) < ? AND id <> ?';

export const REGISTER_WORKER_SQL = `INSERT INTO workers (id, host, pid, capacity, lease_ms, version, started_at, seen_at, stopped_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
  ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, capacity = excluded.capacity, lease_ms = excluded.lease_ms,
    version = excluded.version, started_at = excluded.started_at, seen_at = excluded.seen_at, stopped_at = NULL`;

export const BEAT_WORKER_SQL = 'UPDATE workers SET seen_at = ? WHERE id = ? AND stopped_at IS NULL';

export const STOP_WORKER_SQL = 'UPDATE workers SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL';

/** `?` placeholders as PostgreSQL's `$1, $2, ...`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  capacity: number;
  lease_ms: number;
  version: string | null;
  started_at: number;
  seen_at: number;
  stopped_at: number | null;
}

export interface HeldStepRecord {
  worker: string;
  run_id: string;
  workflow: string;
  step_id: string;
  kind: string;
  attempt: number;
  started_at: number | null;
}

export interface HeldRunRecord {
  worker: string;
  run_id: string;
  workflow: string;
  status: string;
}

/** The registry's rows as views: each worker with what it holds; live first, then lost, then stopped; by host and pid within each. */
export function toWorkerList(now: number, workers: readonly WorkerRecord[], steps: readonly HeldStepRecord[], runs: readonly HeldRunRecord[]): WorkerList {
  const views = new Map<string, WorkerView>();
  for (const w of workers) {
    const row = { seenAt: Number(w.seen_at), stoppedAt: w.stopped_at === null ? null : Number(w.stopped_at), leaseMs: Number(w.lease_ms) };
    views.set(w.id, {
      id: w.id,
      host: w.host,
      pid: Number(w.pid),
      capacity: Number(w.capacity),
      leaseMs: row.leaseMs,
      version: w.version,
      startedAt: Number(w.started_at),
      seenAt: row.seenAt,
      stoppedAt: row.stoppedAt,
      state: workerState(row, now),
      held: [],
      heldRuns: [],
    });
  }
  for (const s of steps) {
    const held: HeldStep = { runId: s.run_id, workflow: s.workflow, stepId: s.step_id, kind: s.kind, attempt: Number(s.attempt), startedAt: s.started_at === null ? null : Number(s.started_at) };
    views.get(s.worker)?.held.push(held);
  }
  for (const r of runs) {
    const held: HeldRun = { runId: r.run_id, workflow: r.workflow, status: r.status };
    views.get(r.worker)?.heldRuns.push(held);
  }
  const rank = (w: WorkerView) => WORKER_STATES.indexOf(w.state);
  const list = [...views.values()].sort((a, b) => rank(a) - rank(b) || a.host.localeCompare(b.host) || a.pid - b.pid || a.id.localeCompare(b.id));
  return { now, workers: list };
}
