/**
 * @module store/sqlite/server-tables
 * The SQLite store's tables for the server: API tokens (hashes only),
 * schedule fires (one row per schedule and due time: the key that makes a
 * fire happen once), paused schedules, the counts /metrics reports, and the
 * worker registry (store/worker-rows.ts). SqliteStore extends it.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import type { RunStatus } from '../../core/states.js';
import type { FireOutcome, FireRecord, ScheduleState } from '../../core/schedule.js';
import type { TokenRecord } from '../../core/tokens.js';
import type { WorkflowHistory } from '../../core/workflow-stats.js';
import { WORKER_ROW_TTL_MS, type WorkerInfo, type WorkerList } from '../../core/workers.js';
import { toFire, toScheduleState, toToken, type FireRow, type ScheduleStateRow, type TokenRow } from '../rows.js';
import {
  HELD_RUNS_SQL,
  HELD_STEPS_SQL,
  PRUNE_WORKERS_SQL,
  REGISTER_WORKER_SQL,
  STOP_WORKER_SQL,
  toWorkerList,
  WORKERS_SQL,
  type HeldRunRecord,
  type HeldStepRecord,
  type WorkerRecord,
} from '../worker-rows.js';
import type { GroupCommit } from './group-commit.js';

export abstract class SqliteServerTables {
  protected abstract readonly db: Database.Database;
  protected abstract readonly tx: GroupCommit;
  protected abstract readonly clock: Clock;

  addToken(token: TokenRecord): Promise<void> {
    return this.tx.write(() => {
      this.db
        .prepare('INSERT INTO tokens (id, name, role, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(token.id, token.name, token.role, token.hash, token.createdAt, token.revokedAt);
    });
  }

  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.tx.read(() => {
      const row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
      return row ? toToken(row) : undefined;
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.tx.read(() => (this.db.prepare('SELECT * FROM tokens ORDER BY created_at DESC, id').all() as TokenRow[]).map(toToken));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.tx.write(() => this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0);
  }

  claimFire(f: FireRecord): Promise<boolean> {
    return this.tx.write(
      () =>
        this.db
          .prepare('INSERT INTO fires (workflow, schedule, due_at, claimed_at, outcome, run_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
          .run(f.workflow, f.schedule, f.dueAt, f.claimedAt, f.outcome, f.runId).changes > 0,
    );
  }

  updateFire(workflow: string, schedule: string, dueAt: number, from: FireOutcome, to: FireOutcome, runId: string | null): Promise<boolean> {
    return this.tx.write(
      () =>
        this.db
          .prepare('UPDATE fires SET outcome = ?, run_id = COALESCE(?, run_id) WHERE workflow = ? AND schedule = ? AND due_at = ? AND outcome = ?')
          .run(to, runId, workflow, schedule, dueAt, from).changes > 0,
    );
  }

  retakeFire(workflow: string, schedule: string, dueAt: number, staleBefore: number, now: number): Promise<boolean> {
    return this.tx.write(
      () =>
        this.db
          .prepare(`UPDATE fires SET claimed_at = ? WHERE workflow = ? AND schedule = ? AND due_at = ? AND outcome = 'firing' AND claimed_at < ?`)
          .run(now, workflow, schedule, dueAt, staleBefore).changes > 0,
    );
  }

  lastFire(workflow: string, schedule: string): Promise<number | null> {
    return this.tx.read(() => (this.db.prepare('SELECT MAX(due_at) AS due FROM fires WHERE workflow = ? AND schedule = ?').get(workflow, schedule) as { due: number | null }).due);
  }

  listFires(workflow: string, schedule: string | undefined, limit: number): Promise<FireRecord[]> {
    return this.tx.read(() =>
      (schedule === undefined
        ? (this.db.prepare('SELECT * FROM fires WHERE workflow = ? ORDER BY due_at DESC, schedule LIMIT ?').all(workflow, limit) as FireRow[])
        : (this.db.prepare('SELECT * FROM fires WHERE workflow = ? AND schedule = ? ORDER BY due_at DESC LIMIT ?').all(workflow, schedule, limit) as FireRow[])
      ).map(toFire),
    );
  }

  setSchedulePaused(st: ScheduleState): Promise<void> {
    return this.tx.write(() => {
      this.db
        .prepare('INSERT INTO schedule_state (workflow, schedule, paused, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT (workflow, schedule) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at')
        .run(st.workflow, st.schedule, st.paused ? 1 : 0, st.changedAt);
    });
  }

  scheduleStates(): Promise<ScheduleState[]> {
    return this.tx.read(() => (this.db.prepare('SELECT * FROM schedule_state').all() as ScheduleStateRow[]).map(toScheduleState));
  }

  counts(now: number): Promise<{ runs: Array<{ workflow: string; status: RunStatus; n: number }>; ready: number; running: number }> {
    return this.tx.read(() => ({
      runs: this.db.prepare('SELECT workflow, status, count(*) AS n FROM runs GROUP BY workflow, status ORDER BY workflow, status').all() as Array<{ workflow: string; status: RunStatus; n: number }>,
      ready: (this.db.prepare(`SELECT count(*) AS n FROM steps WHERE status IN ('ready', 'retrying') AND ready_at <= ?`).get(now) as { n: number }).n,
      running: (this.db.prepare(`SELECT count(*) AS n FROM steps WHERE status = 'running'`).get() as { n: number }).n,
    }));
  }

  workflowHistory(workflow: string, runs: number): Promise<WorkflowHistory> {
    return this.tx.read(() => {
      const latest = `SELECT id FROM runs WHERE workflow = ? ORDER BY created_at DESC, id DESC LIMIT ?`;
      const tasks = this.db
        .prepare(`SELECT run_id AS runId, id, depends_on AS dependsOn, started_at AS startedAt, finished_at AS finishedAt FROM steps WHERE run_id IN (${latest}) AND kind = 'task'`)
        .all(workflow, runs) as Array<Omit<WorkflowHistory['tasks'][number], 'dependsOn'> & { dependsOn: string }>;
      return {
        runs: this.db.prepare(`SELECT id, status, started_at AS startedAt, finished_at AS finishedAt FROM runs WHERE workflow = ? ORDER BY created_at DESC, id DESC LIMIT ?`).all(workflow, runs) as WorkflowHistory['runs'],
        attempts: this.db
          .prepare(`SELECT step_id AS stepId, attempt, status, started_at AS startedAt, finished_at AS finishedAt FROM attempts WHERE run_id IN (${latest}) ORDER BY started_at`)
          .all(workflow, runs) as WorkflowHistory['attempts'],
        tasks: tasks.map((t) => ({ ...t, dependsOn: JSON.parse(t.dependsOn) as string[] })),
      };
    });
  }

  registerWorker(w: WorkerInfo): Promise<void> {
    return this.tx.write(() => {
      const now = this.clock.now();
      this.db.prepare(PRUNE_WORKERS_SQL).run(now - WORKER_ROW_TTL_MS, w.id);
      this.db.prepare(REGISTER_WORKER_SQL).run(w.id, w.host, w.pid, w.capacity, w.leaseMs, w.version ?? null, now, now);
    });
  }

  stopWorker(id: string): Promise<void> {
    return this.tx.write(() => {
      this.db.prepare(STOP_WORKER_SQL).run(this.clock.now(), id);
    });
  }

  listWorkers(limit = 200): Promise<WorkerList> {
    return this.tx.read(() =>
      toWorkerList(
        this.clock.now(),
        this.db.prepare(WORKERS_SQL).all(limit) as WorkerRecord[],
        this.db.prepare(HELD_STEPS_SQL).all() as HeldStepRecord[],
        this.db.prepare(HELD_RUNS_SQL).all() as HeldRunRecord[],
      ),
    );
  }
}
