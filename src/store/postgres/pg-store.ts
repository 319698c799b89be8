/**
 * @module store/postgres/pg-store
 * The shared Store: any number of processes on any machines point at one
 * PostgreSQL database. Every transition is one transaction; claims use FOR
 * UPDATE SKIP LOCKED; leases are measured on the database clock; a signal
 * sent or a run changed is announced with NOTIFY, which `watch` listens to.
 */
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import { BatonError } from '../../core/errors.js';
import type { FlowView, PoolView } from '../../core/flow.js';
import type { RunStatus, StepStatus } from '../../core/states.js';
import { likeEscape, RUN_COLUMNS, STEP_COLUMNS, toAttempt, toEntry, toEvent, toLog, toRun, toStep, type AttemptRecord, type EventRecord, type LogRecord, type RunRecord, type StepRecord } from '../rows.js';
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

  async getRun(runId: string): Promise<RunRow | undefined> {
    const [r] = await this.db.q<RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs r JOIN run_payloads p ON p.run_id = r.id WHERE r.id = $1`, [runId]);
    return r ? toRun(r) : undefined;
  }

  async settleFacts(runId: string): Promise<SettleFacts | undefined> {
    const [r] = await this.db.q<{ status: RunStatus; then_status: RunStatus | null; error: string | null; failed: string[] }>(
      `SELECT r.status, r.then_status, r.error,
         ARRAY(SELECT s.id FROM steps s WHERE s.run_id = r.id AND s.kind = 'task' AND s.status = 'failed' ORDER BY s.ord, s.id) AS failed
       FROM runs r WHERE r.id = $1`,
      [runId],
    );
    return r ? { status: r.status, thenStatus: r.then_status, error: r.error, failedTasks: r.failed } : undefined;
  }

  async findRunId(prefix: string): Promise<string | undefined> {
    const rows = await this.db.q<{ id: string }>(`SELECT id FROM runs WHERE id >= $1 AND id < $1 || chr(1114111) ORDER BY id LIMIT 2`, [prefix]);
    if (rows[0]?.id === prefix) return prefix;
    if (rows.length > 1) throw new BatonError('USAGE', `run id prefix "${prefix}" is ambiguous; give more characters`);
    return rows[0]?.id;
  }

  async listRuns(query: RunQuery = {}): Promise<ListedRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (query.workflow) where.push(`r.workflow = ${p(query.workflow)}`);
    if (query.status) where.push(`r.status = ${p(query.status)}`);
    if (query.before) where.push(`(r.created_at, r.id) < (SELECT created_at, id FROM runs WHERE id = ${p(query.before)})`);
    if (query.since !== undefined) where.push(`r.created_at >= ${p(query.since)}`);
    if (query.until !== undefined) where.push(`r.created_at < ${p(query.until)}`);
    if (query.search) where.push(`(r.id ILIKE ${p(`${likeEscape(query.search)}%`)} OR p.input ILIKE ${p(`%${likeEscape(query.search)}%`)})`);
    if (query.trigger) where.push(`r.started_by = ${p(query.trigger)}`);
    const sql = `SELECT ${RUN_COLUMNS} FROM runs r JOIN run_payloads p ON p.run_id = r.id
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.created_at DESC, r.id DESC LIMIT ${p(query.limit ?? 20)}`;
    return (await this.db.q<RunRecord>(sql, params)).map(toRun);
  }

  async getSteps(runId: string): Promise<StepRow[]> {
    return (await this.db.q<StepRecord>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY ord, id`, [runId])).map(toStep);
  }

  async getAttempts(runId: string, stepId?: string): Promise<AttemptRow[]> {
    const rows = stepId
      ? await this.db.q<AttemptRecord>('SELECT * FROM attempts WHERE run_id = $1 AND step_id = $2 ORDER BY attempt', [runId, stepId])
      : await this.db.q<AttemptRecord>('SELECT * FROM attempts WHERE run_id = $1 ORDER BY started_at, step_id, attempt', [runId]);
    return rows.map(toAttempt);
  }

  async getEvents(runId: string, afterSeq = 0): Promise<EventRow[]> {
    return (await this.db.q<EventRecord>('SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq', [runId, afterSeq])).map(toEvent);
  }

  async eventsAfter(afterSeq: number, limit: number): Promise<EventRow[]> {
    return (await this.db.q<EventRecord>('SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(toEvent);
  }

  async lastEventSeq(): Promise<number> {
    const [row] = await this.db.q<{ seq: string }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');
    return Number(row?.seq ?? 0);
  }

  async getLogs(q: LogQuery): Promise<StoredLogLine[]> {
    const where = ['run_id = $1', 'seq > $2'];
    const params: unknown[] = [q.runId, q.afterSeq ?? 0];
    if (q.stepId !== undefined) {
      params.push(q.stepId);
      where.push(`step_id = $${params.length}`);
    }
    if (q.attempt !== undefined) {
      params.push(q.attempt);
      where.push(`attempt = $${params.length}`);
    }
    const limit = q.limit !== undefined && q.limit >= 0 ? ` LIMIT ${Math.floor(q.limit)}` : '';
    return (await this.db.q<LogRecord>(`SELECT * FROM logs WHERE ${where.join(' AND ')} ORDER BY seq${limit}`, params)).map(toLog);
  }

  async getOutputs(runId: string, stepIds: readonly string[]): Promise<Map<string, { status: StepStatus; outputs: Record<string, string> }>> {
    const out = new Map<string, { status: StepStatus; outputs: Record<string, string> }>();
    if (stepIds.length === 0) return out;
    const rows = await this.db.q<{ id: string; status: string; outputs: string | null }>('SELECT id, status, outputs FROM steps WHERE run_id = $1 AND id = ANY($2::text[])', [
      runId,
      [...stepIds],
    ]);
    for (const r of rows) out.set(r.id, { status: r.status as StepStatus, outputs: r.outputs ? (JSON.parse(r.outputs) as Record<string, string>) : {} });
    return out;
  }
}
