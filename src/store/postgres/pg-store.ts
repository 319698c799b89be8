/**
 * @module store/postgres/pg-store
 * The shared Store: any number of processes on any machines point at one
 * PostgreSQL database. Every transition is one transaction; claims use FOR
 * UPDATE SKIP LOCKED; leases are measured on the database clock; a signal
 * sent or a run changed is announced with NOTIFY, which `watch` listens to.
 */
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import type { FlowView, PoolView } from '../../core/flow.js';
import type { RunStatus, StepStatus } from '../../core/states.js';
import { STEP_COLUMNS, toEntry, type StepRecord } from '../rows.js';
import type {
  AttemptOutcome,
  AttemptRow,
  BeginEntry,
  Claim,
  ClaimRequest,
  EndEntry,
  EventRow,
  FinishResult,
  JournalEntry,
  LogLine,
  ListedRun,
  LogQuery,
  NewRun,
  RunQuery,
  RunResultFields,
  RunRow,
  SettleFacts,
  StepBatch,
  StepBatchResult,
  StepRow,
  Store,
  StoredLogLine,
} from '../store.js';
import { migrate } from './migrate.js';
import { PgServerTables } from './pg-server-tables.js';
import * as batch from './pg-batch.js';
import * as flow from './pg-flow.js';
import { PgDb } from './pg-db.js';
import * as journal from './pg-journal.js';
import * as reads from './pg-reads.js';
import * as t from './pg-transitions.js';

export interface PgStoreOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** A schema to live in (created if missing); default: the connection's search path. */
  schema?: string;
  /** Times from this clock instead of the database's (tests). */
  clock?: Clock;
  /** Connections in the pool. */
  max?: number;
}

const CHANNEL = 'baton_changes';

export class PgStore extends PgServerTables implements Store {
  readonly ordered = false;
  protected readonly db: PgDb;
  private listener: pg.Client | undefined;
  private readonly watchers = new Set<(runId?: string) => void>();
  private closed = false;

  constructor(private readonly options: PgStoreOptions) {
    super();
    this.db = new PgDb(options.url, options.clock, { ...(options.max ? { max: options.max } : {}), ...(options.schema ? { schema: options.schema } : {}) });
  }

  async migrate(): Promise<void> {
    const schema = this.options.schema;
    // Under the migrations' lock: two processes creating the same schema at once would collide.
    if (schema) await migrate(this.db, undefined, `CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`);
    else await migrate(this.db);
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.db.close();
  }

  setPool(name: string, slots: number | null): Promise<void> {
    return flow.setPool(this.db, name, slots);
  }

  listPools(): Promise<PoolView[]> {
    return flow.listPools(this.db);
  }

  flow(runId: string): Promise<FlowView> {
    return flow.flow(this.db, runId);
  }

  async createRun(run: NewRun, owner: string | null): Promise<void> {
    await this.db.tx((tx) => t.createRun(tx, run, owner));
    await this.notify(run.id);
  }

  takeRun(runId: string, owner: string): Promise<{ previousOwner: string | null }> {
    return this.db.tx(async (tx) => {
      const [row] = await tx.q<{ owner: string | null }>('SELECT owner FROM runs WHERE id = $1 FOR UPDATE', [runId]);
      await tx.q('UPDATE runs SET owner = $1 WHERE id = $2', [owner, runId]);
      return { previousOwner: row?.owner ?? null };
    });
  }

  claimSteps(req: ClaimRequest): Promise<Claim[]> {
    return this.db.tx((tx) => t.claim(tx, req));
  }

  claimCodeRuns(req: Omit<ClaimRequest, 'runId'>): Promise<string[]> {
    return this.db.tx(async (tx) =>
      (
        await tx.q<{ id: string }>(
          `UPDATE runs SET owner = $1, lease_until = $2 WHERE id IN (
             SELECT id FROM runs WHERE kind = 'code' AND status IN ('running', 'waiting', 'compensating')
               AND (owner IS NULL OR lease_until < $3) ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING id`,
          [req.owner, tx.now + req.leaseMs, tx.now, req.limit],
        )
      ).map((r) => r.id),
    );
  }

  renewRuns(runIds: readonly string[], owner: string, leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return Promise.resolve([]);
    return this.db.tx(async (tx) => {
      const kept = new Set(
        (
          await tx.q<{ id: string }>(
            `UPDATE runs SET lease_until = $1 WHERE id = ANY($2::text[]) AND owner = $3 AND status IN ('running', 'waiting', 'compensating') RETURNING id`,
            [tx.now + leaseMs, [...runIds], owner],
          )
        ).map((r) => r.id),
      );
      return runIds.filter((id) => !kept.has(id));
    });
  }

  async releaseRun(runId: string, owner: string): Promise<void> {
    await this.db.q('UPDATE runs SET owner = NULL, lease_until = NULL WHERE id = $1 AND owner = $2', [runId, owner]);
    await this.notify(runId);
  }

  async overdueRuns(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.q<{ id: string }>(
      `SELECT id FROM runs WHERE deadline < $1 AND status = 'running' AND owner IS NULL AND kind = 'file' ORDER BY deadline LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async unsettledRuns(limit: number, quietSince: number): Promise<string[]> {
    const rows = await this.db.q<{ id: string }>(
      `SELECT id FROM runs r WHERE owner IS NULL AND kind = 'file' AND status IN ('running', 'compensating') AND open_steps = 0
         AND (SELECT MAX(at) FROM events e WHERE e.run_id = r.id) < $1 LIMIT $2`,
      [quietSince, limit],
    );
    return rows.map((r) => r.id);
  }

  leasedSteps(owner: string): Promise<Claim[]> {
    return batch.leasedSteps((sql, params) => this.db.q(sql, params), owner);
  }

  heartbeat(claims: readonly Claim[], leaseMs: number, worker?: string): Promise<Claim[]> {
    return batch.heartbeat((sql, params) => this.db.q(sql, params), claims, leaseMs, this.options.clock?.now() ?? null, worker);
  }

  returnClaims(claims: readonly Claim[]): Promise<Claim[]> {
    return batch.returnClaims((sql, params) => this.db.q(sql, params), claims, this.options.clock?.now() ?? null);
  }

  /** One statement, one round trip, one commit (the function baton_finish, migration 0003). */
  finishStep(claim: Claim, outcome: AttemptOutcome): Promise<FinishResult> {
    return batch.finishStep((sql, params) => this.db.q(sql, params), claim, outcome, this.options.clock?.now() ?? null);
  }

  /** One statement, one round trip, one commit (the function baton_step_batch, migration 0004). */
  stepBatch(b: StepBatch): Promise<StepBatchResult> {
    return batch.stepBatch((sql, params) => this.db.q(sql, params, 'baton_step_batch'), b, this.options.clock?.now() ?? null);
  }

  recoverRun(runId: string): Promise<number> {
    return this.db.tx((tx) => t.recoverRun(tx, runId));
  }

  sweepExpired(): Promise<number> {
    return this.db.tx((tx) => t.sweepExpired(tx));
  }

  async nextDueAt(runId: string): Promise<number | null> {
    const [row] = await this.db.q<{ due: number | null }>(`SELECT MIN(ready_at) AS due FROM steps WHERE run_id = $1 AND status IN ('ready', 'retrying')`, [runId]);
    return row?.due ?? null;
  }

  async cancelSteps(runId: string, reason: string): Promise<string[]> {
    const ids = await this.db.tx((tx) => t.cancelSteps(tx, runId, reason));
    await this.notify(runId);
    return ids;
  }

  async addRollbacks(runId: string, targets: readonly string[]): Promise<void> {
    await this.db.tx((tx) => t.addRollbacks(tx, runId, targets));
    await this.notify(runId);
  }

  setRunStatus(runId: string, from: readonly RunStatus[], to: RunStatus, fields: RunResultFields = {}): Promise<boolean> {
    return this.db.tx((tx) => t.setRunStatus(tx, runId, from, to, fields));
  }

  resetForRetry(runId: string, owner: string | null): Promise<string[]> {
    return this.db.tx((tx) => t.resetForRetry(tx, runId, owner));
  }

  beginEntry(runId: string, owner: string, entry: BeginEntry): Promise<boolean> {
    return this.db.tx((tx) => journal.begin(tx, runId, owner, entry));
  }

  endEntry(runId: string, owner: string, key: string, attempt: number, end: EndEntry): Promise<boolean> {
    return this.db.tx((tx) => journal.finish(tx, runId, owner, key, attempt, end));
  }

  recordStep(runId: string, owner: string, begin: BeginEntry, end: EndEntry): Promise<boolean> {
    return this.db.tx((tx) => journal.record(tx, runId, owner, begin, end));
  }

  recordValue(runId: string, owner: string, entry: { position: number; key: string; name: string; result: string }): Promise<boolean> {
    return this.db.tx((tx) => journal.recordValue(tx, runId, owner, entry));
  }

  async getJournal(runId: string): Promise<JournalEntry[]> {
    return (await this.db.q<StepRecord>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY ord, id`, [runId])).map(toEntry);
  }

  async sendSignal(runId: string, name: string, payload: string | null): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.q('INSERT INTO signals (run_id, name, payload, sent_at) VALUES ($1, $2, $3, $4)', [runId, name, payload ?? 'null', tx.now]);
      await t.event(tx, runId, 'signal:sent', null, null, { name });
    });
    await this.notify(runId);
  }

  takeSignal(runId: string, owner: string, name: string, key: string): Promise<{ payload: string | null } | undefined> {
    return this.db.tx((tx) => journal.takeSignal(tx, runId, owner, name, key));
  }

  async pendingSignals(runId: string): Promise<Array<{ name: string; payload: string | null; sentAt: number }>> {
    const rows = await this.db.q<{ name: string; payload: string | null; sent_at: number }>(
      'SELECT name, payload, sent_at FROM signals WHERE run_id = $1 AND taken_by IS NULL ORDER BY seq',
      [runId],
    );
    return rows.map((r) => ({ name: r.name, payload: r.payload, sentAt: r.sent_at }));
  }

  async setUserStatus(runId: string, value: string): Promise<void> {
    await this.db.q('UPDATE run_payloads SET user_status = $1 WHERE run_id = $2', [value, runId]);
  }

  async getRunDetail(runId: string): Promise<{ result: string | null; userStatus: string | null } | undefined> {
    const [r] = await this.db.q<{ result: string | null; user_status: string | null }>('SELECT result, user_status FROM run_payloads WHERE run_id = $1', [runId]);
    return r ? { result: r.result, userStatus: r.user_status } : undefined;
  }

  async dueRuns(until: number): Promise<Array<{ id: string; wakeAt: number }>> {
    const rows = await this.db.q<{ id: string; wake_at: number }>(`SELECT id, wake_at FROM runs WHERE status = 'waiting' AND wake_at <= $1 ORDER BY wake_at`, [until]);
    return rows.map((r) => ({ id: r.id, wakeAt: r.wake_at }));
  }

  async childRuns(runId: string): Promise<string[]> {
    return (await this.db.q<{ id: string }>('SELECT id FROM runs WHERE parent_id = $1 ORDER BY created_at, id', [runId])).map((r) => r.id);
  }

  watch(listener: (runId?: string) => void): () => void {
    this.watchers.add(listener);
    if (!this.listener) void this.listen();
    return () => {
      this.watchers.delete(listener);
    };
  }

  /**
   * One connection that LISTENs. When it is lost it comes back (capped
   * backoff) and the watchers are told once, since notifications sent
   * meanwhile are gone.
   */
  private async listen(delay = 0): Promise<void> {
    if (this.closed || this.watchers.size === 0) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'baton' });
    this.listener = client;
    const again = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      const next = Math.min(1000, Math.max(10, delay * 2));
      setTimeout(() => void this.listen(next), next).unref();
    };
    client.on('notification', (n) => this.tellWatchers(n.payload));
    client.on('error', again);
    client.on('end', again);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (delay > 0) this.tellWatchers();
    } catch {
      again();
    }
  }

  private tellWatchers(runId?: string): void {
    for (const w of [...this.watchers]) w(runId);
  }

  private async notify(runId: string): Promise<void> {
    await this.db.q('SELECT pg_notify($1, $2)', [CHANNEL, runId]);
  }

  async appendEvent(runId: string, type: string, fields: { stepId?: string; attempt?: number; data?: Record<string, unknown> } = {}): Promise<void> {
    await this.db.tx((tx) => t.event(tx, runId, type, fields.stepId, fields.attempt, fields.data));
  }

  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.q(
      'INSERT INTO logs (run_id, step_id, attempt, stream, at, line) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[])',
      [lines.map((l) => l.runId), lines.map((l) => l.stepId), lines.map((l) => l.attempt), lines.map((l) => l.stream), lines.map((l) => l.at), lines.map((l) => l.line)],
    );
  }

  getRun(runId: string): Promise<RunRow | undefined> {
    return reads.getRun(this.db, runId);
  }

  settleFacts(runId: string): Promise<SettleFacts | undefined> {
    return reads.settleFacts(this.db, runId);
  }

  findRunId(prefix: string): Promise<string | undefined> {
    return reads.findRunId(this.db, prefix);
  }

  listRuns(query: RunQuery = {}): Promise<ListedRun[]> {
    return reads.listRuns(this.db, query);
  }

  getSteps(runId: string): Promise<StepRow[]> {
    return reads.getSteps(this.db, runId);
  }

  getAttempts(runId: string, stepId?: string): Promise<AttemptRow[]> {
    return reads.getAttempts(this.db, runId, stepId);
  }

  getEvents(runId: string, afterSeq = 0): Promise<EventRow[]> {
    return reads.getEvents(this.db, runId, afterSeq);
  }

  eventsAfter(afterSeq: number, limit: number): Promise<EventRow[]> {
    return reads.eventsAfter(this.db, afterSeq, limit);
  }

  lastEventSeq(): Promise<number> {
    return reads.lastEventSeq(this.db);
  }

  getLogs(q: LogQuery): Promise<StoredLogLine[]> {
    return reads.getLogs(this.db, q);
  }

  getOutputs(runId: string, stepIds: readonly string[]): Promise<Map<string, { status: StepStatus; outputs: Record<string, string> }>> {
    return reads.getOutputs(this.db, runId, stepIds);
  }
}
