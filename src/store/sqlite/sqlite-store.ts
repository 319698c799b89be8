/**
 * @module store/sqlite/sqlite-store
 * The embedded Store: one SQLite file in WAL mode, prepared statements, group
 * commit. Durability is explicit: `full` fsyncs the WAL before a transition is
 * acknowledged (survives power loss), off the event loop (wal-sync.ts);
 * `normal` survives any process crash, `kill -9` included, but may lose the
 * last transactions on power loss.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../core/clock.js';
import { BatonError } from '../../core/errors.js';
import type {
  AttemptOutcome,
  AttemptRow,
  BeginEntry,
  Claim,
  EndEntry,
  JournalEntry,
  RunResultFields,
  ClaimRequest,
  EventRow,
  FinishResult,
  LogLine,
  ListedRun,
  LogQuery,
  NewRun,
  RunQuery,
  RunRow,
  SettleFacts,
  StepBatch,
  StepBatchResult,
  StepRow,
  Store,
  StoredLogLine,
} from '../store.js';
import type { RunStatus, StepStatus } from '../../core/states.js';
import type { FlowView, PoolView } from '../../core/flow.js';
import { ChangeWatcher } from './change-watcher.js';
import { GroupCommit } from './group-commit.js';
import { JournalStatements } from './journal.js';
import { migrate } from './migrate.js';
import { SqliteServerTables } from './server-tables.js';
import { BEAT_WORKER_SQL } from '../worker-rows.js';
import * as reads from './reads.js';
import { returnClaims } from './returns.js';
import { Transitions } from './transitions.js';
import { WalSync } from './wal-sync.js';

export type Durability = 'full' | 'normal';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  durability?: Durability;
  clock?: Clock;
  /** How long to wait for another process's write lock (ms). */
  busyTimeoutMs?: number;
}

export class SqliteStore extends SqliteServerTables implements Store {
  readonly ordered = true;
  protected readonly db: Database.Database;
  protected readonly tx: GroupCommit;
  private transitions!: Transitions;
  private journal!: JournalStatements;
  private readonly watcher: ChangeWatcher;
  protected readonly clock: Clock;
  private readonly wal: WalSync | undefined;

  constructor(options: SqliteStoreOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    try {
      this.db = new Database(options.path);
    } catch (cause) {
      throw new BatonError('STORE', `cannot open the database ${options.path}: ${(cause as Error).message}`, { cause });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.db.pragma('foreign_keys = ON');
    const memory = options.path === ':memory:';
    this.wal = options.durability === 'normal' || memory ? undefined : new WalSync(`${options.path}-wal`);
    this.tx = new GroupCommit(this.db, this.wal ? () => (this.wal as WalSync).sync() : undefined);
    const version = this.db.prepare('PRAGMA data_version').pluck();
    this.watcher = new ChangeWatcher(memory ? undefined : `${options.path}-wal`, () => version.get() as number);
  }

  migrate(): Promise<void> {
    migrate(this.db);
    this.transitions = new Transitions(this.db, this.clock);
    this.journal = new JournalStatements(this.db, this.clock);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.watcher.close();
    this.tx.flush();
    await this.wal?.sync();
    this.wal?.close();
    this.db.close();
  }

  createRun(run: NewRun, owner: string | null): Promise<void> {
    return this.tx.write(() => this.transitions.createRun(run, owner));
  }

  setPool(name: string, slots: number | null): Promise<void> {
    return this.tx.write(() => this.transitions.flow.setPool(name, slots, this.clock.now()));
  }

  listPools(): Promise<PoolView[]> {
    return this.tx.read(() => this.transitions.flow.pools());
  }

  flow(runId: string): Promise<FlowView> {
    return this.tx.read(() => this.transitions.flow.flow(runId));
  }

  takeRun(runId: string, owner: string): Promise<{ previousOwner: string | null }> {
    return this.tx.write(() => ({ previousOwner: this.transitions.takeRun(runId, owner) }));
  }

  claimSteps(req: ClaimRequest): Promise<Claim[]> {
    return this.tx.write(() => this.transitions.claim(req));
  }

  claimCodeRuns(req: Omit<ClaimRequest, 'runId'>): Promise<string[]> {
    return this.tx.write(() => {
      const now = this.clock.now();
      return (
        this.db
          .prepare(
            `UPDATE runs SET owner = ?, lease_until = ? WHERE id IN (
               SELECT id FROM runs WHERE kind = 'code' AND status IN ('running', 'waiting', 'compensating')
                 AND (owner IS NULL OR lease_until < ?) ORDER BY created_at LIMIT ?)
             RETURNING id`,
          )
          .all(req.owner, now + req.leaseMs, now, req.limit) as Array<{ id: string }>
      ).map((r) => r.id);
    });
  }

  renewRuns(runIds: readonly string[], owner: string, leaseMs: number): Promise<string[]> {
    return this.tx.write(() => {
      const renew = this.db.prepare(`UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ? AND status IN ('running', 'waiting', 'compensating')`);
      const until = this.clock.now() + leaseMs;
      return runIds.filter((id) => renew.run(until, id, owner).changes === 0);
    });
  }

  releaseRun(runId: string, owner: string): Promise<void> {
    return this.tx.write(() => {
      this.db.prepare('UPDATE runs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?').run(runId, owner);
    });
  }

  overdueRuns(now: number, limit: number): Promise<string[]> {
    return this.tx.read(() =>
      (
        this.db
          .prepare(`SELECT id FROM runs WHERE deadline < ? AND status = 'running' AND owner IS NULL AND kind = 'file' ORDER BY deadline LIMIT ?`)
          .all(now, limit) as Array<{ id: string }>
      ).map((r) => r.id),
    );
  }

  unsettledRuns(limit: number, quietSince: number): Promise<string[]> {
    return this.tx.read(() =>
      (
        this.db
          .prepare(
            `SELECT id FROM runs r WHERE owner IS NULL AND kind = 'file' AND status IN ('running', 'compensating') AND open_steps = 0
               AND (SELECT MAX(at) FROM events e WHERE e.run_id = r.id) < ? LIMIT ?`,
          )
          .all(quietSince, limit) as Array<{ id: string }>
      ).map((r) => r.id),
    );
  }

  leasedSteps(owner: string): Promise<Claim[]> {
    return this.tx.read(() => this.transitions.leasedSteps(owner));
  }

  heartbeat(claims: readonly Claim[], leaseMs: number, worker?: string): Promise<Claim[]> {
    return this.tx.write(() => {
      if (worker !== undefined) this.db.prepare(BEAT_WORKER_SQL).run(this.clock.now(), worker);
      return this.transitions.heartbeat(claims, leaseMs);
    });
  }

  returnClaims(claims: readonly Claim[]): Promise<Claim[]> {
    return this.tx.write(() => returnClaims(this.db, claims, (...a) => this.transitions.event(...a)));
  }

  finishStep(claim: Claim, outcome: AttemptOutcome): Promise<FinishResult> {
    return this.tx.write(() => this.transitions.finish(claim, outcome));
  }

  stepBatch(batch: StepBatch): Promise<StepBatchResult> {
    return this.tx.write(() => {
      const finished = batch.finishes.map((f) => this.transitions.finish(f.claim, f.outcome));
      const claims = batch.claim.limit > 0 ? this.transitions.claimAny(batch.claim) : [];
      const nextDue = claims.length < batch.claim.limit ? this.transitions.nextDueAny() : null;
      return { finished, claims, nextDue };
    });
  }

  recoverRun(runId: string): Promise<number> {
    return this.tx.write(() => this.transitions.recoverRun(runId));
  }

  sweepExpired(): Promise<number> {
    return this.tx.write(() => this.transitions.sweepExpired());
  }

  nextDueAt(runId: string): Promise<number | null> {
    return this.tx.read(() => {
      const row = this.db
        .prepare(`SELECT MIN(ready_at) AS due FROM steps WHERE run_id = ? AND status IN ('ready', 'retrying')`)
        .get(runId) as { due: number | null };
      return row.due;
    });
  }

  cancelSteps(runId: string, reason: string): Promise<string[]> {
    return this.tx.write(() => this.transitions.cancelSteps(runId, reason));
  }

  addRollbacks(runId: string, targets: readonly string[]): Promise<void> {
    return this.tx.write(() => this.transitions.addRollbacks(runId, targets));
  }

  setRunStatus(runId: string, from: readonly RunStatus[], to: RunStatus, fields: RunResultFields = {}): Promise<boolean> {
    return this.tx.write(() => this.transitions.setRunStatus(runId, from, to, fields));
  }

  beginEntry(runId: string, owner: string, entry: BeginEntry): Promise<boolean> {
    return this.tx.write(() => this.journal.begin(runId, owner, entry));
  }

  endEntry(runId: string, owner: string, key: string, attempt: number, end: EndEntry): Promise<boolean> {
    return this.tx.write(() => this.journal.finish(runId, owner, key, attempt, end));
  }

  recordStep(runId: string, owner: string, begin: BeginEntry, end: EndEntry): Promise<boolean> {
    return this.tx.write(() => this.journal.record(runId, owner, begin, end));
  }

  recordValue(runId: string, owner: string, entry: { position: number; key: string; name: string; result: string }): Promise<boolean> {
    return this.tx.write(() => this.journal.recordValue(runId, owner, entry));
  }

  getJournal(runId: string): Promise<JournalEntry[]> {
    return this.tx.read(() => this.journal.journal(runId));
  }

  sendSignal(runId: string, name: string, payload: string | null): Promise<void> {
    return this.tx.write(() => {
      const now = this.clock.now();
      this.db.prepare('INSERT INTO signals (run_id, name, payload, sent_at) VALUES (?, ?, ?, ?)').run(runId, name, payload ?? 'null', now);
      this.transitions.event(runId, 'signal:sent', null, null, { name });
    });
  }

  takeSignal(runId: string, owner: string, name: string, key: string): Promise<{ payload: string | null } | undefined> {
    return this.tx.write(() => this.journal.takeSignal(runId, owner, name, key));
  }

  pendingSignals(runId: string): Promise<Array<{ name: string; payload: string | null; sentAt: number }>> {
    return this.tx.read(() =>
      (this.db.prepare('SELECT name, payload, sent_at FROM signals WHERE run_id = ? AND taken_by IS NULL ORDER BY seq').all(runId) as Array<{ name: string; payload: string | null; sent_at: number }>).map(
        (r) => ({ name: r.name, payload: r.payload, sentAt: r.sent_at }),
      ),
    );
  }

  setUserStatus(runId: string, value: string): Promise<void> {
    return this.tx.write(() => {
      this.db.prepare('UPDATE run_payloads SET user_status = ? WHERE run_id = ?').run(value, runId);
    });
  }

  getRunDetail(runId: string): Promise<{ result: string | null; userStatus: string | null } | undefined> {
    return this.tx.read(() => {
      const r = this.db.prepare('SELECT result, user_status FROM run_payloads WHERE run_id = ?').get(runId) as { result: string | null; user_status: string | null } | undefined;
      return r ? { result: r.result, userStatus: r.user_status } : undefined;
    });
  }

  dueRuns(until: number): Promise<Array<{ id: string; wakeAt: number }>> {
    return this.tx.read(() =>
      (this.db.prepare(`SELECT id, wake_at FROM runs WHERE status = 'waiting' AND wake_at <= ? ORDER BY wake_at`).all(until) as Array<{ id: string; wake_at: number }>).map((r) => ({
        id: r.id,
        wakeAt: r.wake_at,
      })),
    );
  }

  childRuns(runId: string): Promise<string[]> {
    return this.tx.read(() => (this.db.prepare('SELECT id FROM runs WHERE parent_id = ? ORDER BY created_at, id').all(runId) as Array<{ id: string }>).map((r) => r.id));
  }

  watch(listener: (runId?: string) => void): () => void {
    return this.watcher.add(listener);
  }

  resetForRetry(runId: string, owner: string | null): Promise<string[]> {
    return this.tx.write(() => this.transitions.resetForRetry(runId, owner));
  }

  appendEvent(runId: string, type: string, fields: { stepId?: string; attempt?: number; data?: Record<string, unknown> } = {}): Promise<void> {
    return this.tx.write(() => this.transitions.event(runId, type, fields.stepId, fields.attempt, fields.data));
  }

  appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return this.tx.write(() => {
      const insert = this.db.prepare('INSERT INTO logs (run_id, step_id, attempt, stream, at, line) VALUES (?, ?, ?, ?, ?, ?)');
      for (const l of lines) insert.run(l.runId, l.stepId, l.attempt, l.stream, l.at, l.line);
    });
  }

  getRun(runId: string): Promise<RunRow | undefined> {
    return this.tx.read(() => reads.getRun(this.db, runId));
  }

  settleFacts(runId: string): Promise<SettleFacts | undefined> {
    return this.tx.read(() => reads.settleFacts(this.db, runId));
  }

  findRunId(prefix: string): Promise<string | undefined> {
    return this.tx.read(() => reads.findRunId(this.db, prefix));
  }

  listRuns(query: RunQuery = {}): Promise<ListedRun[]> {
    return this.tx.read(() => reads.listRuns(this.db, query));
  }

  getSteps(runId: string): Promise<StepRow[]> {
    return this.tx.read(() => reads.getSteps(this.db, runId));
  }

  getAttempts(runId: string, stepId?: string): Promise<AttemptRow[]> {
    return this.tx.read(() => reads.getAttempts(this.db, runId, stepId));
  }

  getEvents(runId: string, afterSeq = 0): Promise<EventRow[]> {
    return this.tx.read(() => reads.getEvents(this.db, runId, afterSeq));
  }

  eventsAfter(afterSeq: number, limit: number): Promise<EventRow[]> {
    return this.tx.read(() => reads.eventsAfter(this.db, afterSeq, limit));
  }

  lastEventSeq(): Promise<number> {
    return this.tx.read(() => reads.lastEventSeq(this.db));
  }

  getLogs(q: LogQuery): Promise<StoredLogLine[]> {
    return this.tx.read(() => reads.getLogs(this.db, q));
  }

  getOutputs(runId: string, stepIds: readonly string[]): Promise<Map<string, { status: StepStatus; outputs: Record<string, string> }>> {
    return this.tx.read(() => reads.getOutputs(this.db, runId, stepIds));
  }
}
