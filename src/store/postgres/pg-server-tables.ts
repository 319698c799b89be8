/**
 * @module store/postgres/pg-server-tables
 * The PostgreSQL store's tables for the server: API tokens (hashes only),
 * schedule fires (one row per schedule and due time: the key that makes a
 * fire happen once across servers), paused schedules, the counts /metrics
 * reports, and the worker registry (store/worker-rows.ts; its times on the
 * database clock). PgStore extends it.
 */
import type { AttemptStatus, RunStatus } from '../../core/states.js';
import type { FireOutcome, FireRecord, ScheduleState } from '../../core/schedule.js';
import type { TokenRecord } from '../../core/tokens.js';
import type { WorkflowHistory } from '../../core/workflow-stats.js';
import { WORKER_ROW_TTL_MS, type WorkerInfo, type WorkerList } from '../../core/workers.js';
import { toFire, toScheduleState, toToken, type FireRow, type ScheduleStateRow, type TokenRow } from '../rows.js';
import {
  HELD_RUNS_SQL,
  HELD_STEPS_SQL,
  numbered,
  PRUNE_WORKERS_SQL,
  REGISTER_WORKER_SQL,
  STOP_WORKER_SQL,
  toWorkerList,
  WORKERS_SQL,
  type HeldRunRecord,
  type HeldStepRecord,
  type WorkerRecord,
} from '../worker-rows.js';
import type { PgDb } from './pg-db.js';

const PRUNE_WORKERS = numbered(PRUNE_WORKERS_SQL);
const REGISTER_WORKER = numbered(REGISTER_WORKER_SQL);
const STOP_WORKER = numbered(STOP_WORKER_SQL);
const WORKERS = numbered(WORKERS_SQL);

export abstract class PgServerTables {
  protected abstract readonly db: PgDb;

  async addToken(token: TokenRecord): Promise<void> {
    await this.db.q('INSERT INTO tokens (id, name, role, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      token.id,
      token.name,
      token.role,
      token.hash,
      token.createdAt,
      token.revokedAt,
    ]);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.q<TokenRow>('SELECT * FROM tokens WHERE id = $1', [id]);
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.db.q<TokenRow>('SELECT * FROM tokens ORDER BY created_at DESC, id')).map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    return (await this.db.q('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id', [at, id])).length > 0;
  }

  async claimFire(f: FireRecord): Promise<boolean> {
    const rows = await this.db.q(
      'INSERT INTO fires (workflow, schedule, due_at, claimed_at, outcome, run_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING due_at',
      [f.workflow, f.schedule, f.dueAt, f.claimedAt, f.outcome, f.runId],
    );
    return rows.length > 0;
  }

  async updateFire(workflow: string, schedule: string, dueAt: number, from: FireOutcome, to: FireOutcome, runId: string | null): Promise<boolean> {
    const rows = await this.db.q(
      'UPDATE fires SET outcome = $1, run_id = COALESCE($2, run_id) WHERE workflow = $3 AND schedule = $4 AND due_at = $5 AND outcome = $6 RETURNING due_at',
      [to, runId, workflow, schedule, dueAt, from],
    );
    return rows.length > 0;
  }

  async retakeFire(workflow: string, schedule: string, dueAt: number, staleBefore: number, now: number): Promise<boolean> {
    const rows = await this.db.q(
      `UPDATE fires SET claimed_at = $1 WHERE workflow = $2 AND schedule = $3 AND due_at = $4 AND outcome = 'firing' AND claimed_at < $5 RETURNING due_at`,
      [now, workflow, schedule, dueAt, staleBefore],
    );
    return rows.length > 0;
  }

  async lastFire(workflow: string, schedule: string): Promise<number | null> {
    const [row] = await this.db.q<{ due: number | null }>('SELECT MAX(due_at) AS due FROM fires WHERE workflow = $1 AND schedule = $2', [workflow, schedule]);
    return row?.due ?? null;
  }

  async listFires(workflow: string, schedule: string | undefined, limit: number): Promise<FireRecord[]> {
    const rows =
      schedule === undefined
        ? await this.db.q<FireRow>('SELECT * FROM fires WHERE workflow = $1 ORDER BY due_at DESC, schedule LIMIT $2', [workflow, limit])
        : await this.db.q<FireRow>('SELECT * FROM fires WHERE workflow = $1 AND schedule = $2 ORDER BY due_at DESC LIMIT $3', [workflow, schedule, limit]);
    return rows.map(toFire);
  }

  async setSchedulePaused(st: ScheduleState): Promise<void> {
    await this.db.q(
      'INSERT INTO schedule_state (workflow, schedule, paused, changed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (workflow, schedule) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at',
      [st.workflow, st.schedule, st.paused, st.changedAt],
    );
  }

  async scheduleStates(): Promise<ScheduleState[]> {
    return (await this.db.q<ScheduleStateRow>('SELECT * FROM schedule_state')).map(toScheduleState);
  }

  async counts(now: number): Promise<{ runs: Array<{ workflow: string; status: RunStatus; n: number }>; ready: number; running: number }> {
    const [runs, [steps]] = await Promise.all([
      this.db.q<{ workflow: string; status: RunStatus; n: number }>('SELECT workflow, status, count(*)::int AS n FROM runs GROUP BY workflow, status ORDER BY workflow, status'),
      this.db.q<{ ready: number; running: number }>(
        `SELECT (SELECT count(*) FROM steps WHERE status IN ('ready', 'retrying') AND ready_at <= $1)::int AS ready, (SELECT count(*) FROM steps WHERE status = 'running')::int AS running`,
        [now],
      ),
    ]);
    return { runs, ready: steps?.ready ?? 0, running: steps?.running ?? 0 };
  }

  async workflowHistory(workflow: string, runs: number): Promise<WorkflowHistory> {
    const latest = `SELECT id FROM runs WHERE workflow = $1 ORDER BY created_at DESC, id DESC LIMIT $2`;
    type Times = { startedat: string | null; finishedat: string | null };
    const [r, a, t] = await Promise.all([
      this.db.q<Times & { id: string; status: RunStatus }>(`SELECT id, status, started_at AS startedat, finished_at AS finishedat FROM runs WHERE workflow = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [workflow, runs]),
      this.db.q<Times & { stepid: string; attempt: number; status: AttemptStatus; startedat: string }>(
        `SELECT step_id AS stepid, attempt, status, started_at AS startedat, finished_at AS finishedat FROM attempts WHERE run_id IN (${latest}) ORDER BY started_at`,
        [workflow, runs],
      ),
      this.db.q<Times & { runid: string; id: string; dependson: string }>(
        `SELECT run_id AS runid, id, depends_on AS dependson, started_at AS startedat, finished_at AS finishedat FROM steps WHERE run_id IN (${latest}) AND kind = 'task'`,
        [workflow, runs],
      ),
    ]);
    const num = (v: string | number | null) => (v === null ? null : Number(v));
    return {
      runs: r.map((x) => ({ id: x.id, status: x.status, startedAt: num(x.startedat), finishedAt: num(x.finishedat) })),
      attempts: a.map((x) => ({ stepId: x.stepid, attempt: Number(x.attempt), status: x.status, startedAt: Number(x.startedat), finishedAt: num(x.finishedat) })),
      tasks: t.map((x) => ({ runId: x.runid, id: x.id, dependsOn: JSON.parse(x.dependson) as string[], startedAt: num(x.startedat), finishedAt: num(x.finishedat) })),
    };
  }

  async registerWorker(w: WorkerInfo): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.q(PRUNE_WORKERS, [tx.now - WORKER_ROW_TTL_MS, w.id]);
      await tx.q(REGISTER_WORKER, [w.id, w.host, w.pid, w.capacity, w.leaseMs, w.version ?? null, tx.now, tx.now]);
    });
  }

  async stopWorker(id: string): Promise<void> {
    await this.db.tx((tx) => tx.q(STOP_WORKER, [tx.now, id]));
  }

  /** One transaction: the workers and what they hold, read at one time. */
  listWorkers(limit = 200): Promise<WorkerList> {
    return this.db.tx(async (tx) => {
      const workers = await tx.q<WorkerRecord>(WORKERS, [limit]);
      const steps = await tx.q<HeldStepRecord>(HELD_STEPS_SQL);
      const runs = await tx.q<HeldRunRecord>(HELD_RUNS_SQL);
      return toWorkerList(tx.now, workers, steps, runs);
    });
  }
}
