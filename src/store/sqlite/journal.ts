/**
 * @module store/sqlite/journal
 * The journal of code runs, as prepared statements run inside GroupCommit's
 * transactions. An entry is a row of `steps` keyed by the call's identity;
 * every write first checks that the writer still owns the run (the fencing
 * that keeps a stale process from recording anything).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import type { BeginEntry, EndEntry, JournalEntry } from '../store.js';
import { toEntry, type StepRecord } from '../rows.js';

export class JournalStatements {
  private readonly owner: Statement;
  private readonly upsert: Statement;
  private readonly insertAttempt: Statement;
  private readonly end: Statement;
  private readonly compensated: Statement;
  private readonly setSeq: Statement;
  private readonly upsertDone: Statement;
  private readonly insertAttemptDone: Statement;
  private readonly dropEvent: Statement;
  private readonly endAttempt: Statement;
  private readonly value: Statement;
  private readonly event: Statement;
  private readonly entries: Statement;
  private readonly oldestSignal: Statement;
  private readonly takeSignalRow: Statement;
  private readonly takeEntry: Statement;

  constructor(
    db: Database,
    private readonly clock: Clock,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.owner = p(`SELECT owner FROM runs WHERE id = ?`);
    this.upsert = p(`INSERT INTO steps (run_id, id, kind, name, status, attempt, deps_unmet, depends_on, ready_at, started_at, ord)
        VALUES (?, ?, ?, ?, ?, ?, 0, '[]', ?, ?, ?)
      ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
        ready_at = excluded.ready_at, started_at = COALESCE(steps.started_at, excluded.started_at),
        finished_at = NULL, error = NULL`);
    this.insertAttempt = p(`INSERT OR REPLACE INTO attempts (run_id, step_id, attempt, status, owner, started_at) VALUES (?, ?, ?, 'running', ?, ?)`);
    this.end = p(`UPDATE steps SET status = ?, result = ?, error = ?, ready_at = ?, finished_at = ?,
        failures = failures + ?
      WHERE run_id = ? AND id = ? AND status IN ('running', 'waiting', 'ready', 'retrying')
      RETURNING kind`);
    this.setSeq = p(`UPDATE steps SET completed_seq = ? WHERE run_id = ? AND id = ?`);
    this.upsertDone = p(`INSERT INTO steps (run_id, id, kind, name, status, attempt, failures, deps_unmet, depends_on,
          result, error, ready_at, started_at, finished_at, completed_seq, ord)
        VALUES (?, ?, ?, ?, ?, ?, ?, 0, '[]', ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
        failures = steps.failures + excluded.failures, result = excluded.result, error = excluded.error,
        ready_at = excluded.ready_at, started_at = COALESCE(steps.started_at, excluded.started_at),
        finished_at = excluded.finished_at, completed_seq = excluded.completed_seq
      WHERE steps.status IN ('ready', 'retrying', 'running')`);
    this.insertAttemptDone = p(`INSERT OR REPLACE INTO attempts (run_id, step_id, attempt, status, owner, started_at, finished_at, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.dropEvent = p(`DELETE FROM events WHERE seq = ?`);
    this.compensated = p(`UPDATE steps SET status = 'compensated' WHERE run_id = ? AND id = ? AND status = 'succeeded'`);
    this.endAttempt = p(`UPDATE attempts SET status = ?, finished_at = ?, error = ? WHERE run_id = ? AND step_id = ? AND attempt = ?`);
    this.value = p(`INSERT OR IGNORE INTO steps (run_id, id, kind, name, status, deps_unmet, depends_on, result, started_at, finished_at, ord)
        VALUES (?, ?, 'value', ?, 'succeeded', 0, '[]', ?, ?, ?, ?)`);
    this.event = p(`INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (?, ?, ?, ?, ?, ?)`);
    this.entries = p(`SELECT * FROM steps WHERE run_id = ? ORDER BY ord`);
    this.oldestSignal = p(`SELECT seq, payload FROM signals WHERE run_id = ? AND name = ? AND taken_by IS NULL ORDER BY seq LIMIT 1`);
    this.takeSignalRow = p(`UPDATE signals SET taken_by = ?, taken_at = ? WHERE seq = ? AND taken_by IS NULL`);
    this.takeEntry = p(`UPDATE steps SET status = 'succeeded', result = ?, finished_at = ? WHERE run_id = ? AND id = ? AND status = 'waiting'`);
  }

  owns(runId: string, owner: string): boolean {
    const row = this.owner.get(runId) as { owner: string | null } | undefined;
    return row?.owner === owner;
  }

  begin(runId: string, owner: string, e: BeginEntry): boolean {
    if (!this.owns(runId, owner)) return false;
    const now = e.at ?? this.clock.now();
    this.upsert.run(runId, e.key, e.kind, e.name, e.status, e.attempt, e.readyAt ?? null, now, e.position);
    if (e.kind === 'step' || e.kind === 'compensate') {
      this.insertAttempt.run(runId, e.key, e.attempt, owner, now);
      this.event.run(runId, now, 'step:started', e.key, e.attempt, null);
    } else {
      this.event.run(runId, now, 'step:waiting', e.key, null, e.readyAt ? JSON.stringify({ until: e.readyAt }) : null);
    }
    return true;
  }

  finish(runId: string, owner: string, key: string, attempt: number, e: EndEntry): boolean {
    if (!this.owns(runId, owner)) return false;
    const now = this.clock.now();
    if (e.status === 'compensated') {
      // The step's row keeps its result; only its status says it was undone.
      if (this.compensated.run(runId, key).changes === 0) return false;
      this.event.run(runId, now, 'step:compensated', key, null, null);
      return true;
    }
    const result = e.result;
    const error = e.status === 'retrying' || e.status === 'failed' ? e.error : null;
    const readyAt = e.status === 'retrying' ? e.readyAt : null;
    const row = this.end.get(e.status, result, error, readyAt, now, error !== null ? 1 : 0, runId, key) as { kind: string } | undefined;
    if (!row) return false;
    if (attempt > 0) this.endAttempt.run(e.status === 'succeeded' ? 'succeeded' : 'failed', now, error, runId, key, attempt);
    const seq = this.endEvent(runId, now, key, attempt, e.status, error, readyAt);
    // Completion order (compensations run in reverse): the event's global sequence number.
    if (e.status === 'succeeded') this.setSeq.run(seq, runId, key);
    return true;
  }

  /**
   * A step attempt that began and ended before its begin was written: its
   * final row, attempt row and one event at once (a quick step costs one
   * write, not two).
   */
  record(runId: string, owner: string, b: BeginEntry, e: EndEntry): boolean {
    if (e.status === 'compensated') throw new Error('record(): a compensation is not an attempt');
    if (!this.owns(runId, owner)) return false;
    const now = this.clock.now();
    const started = b.at ?? now;
    const error = e.status === 'retrying' || e.status === 'failed' ? e.error : null;
    const readyAt = e.status === 'retrying' ? e.readyAt : null;
    const seq = this.endEvent(runId, now, b.key, b.attempt, e.status, error, readyAt);
    const done = this.upsertDone.run(
      runId, b.key, b.kind, b.name, e.status, b.attempt, error !== null ? 1 : 0,
      e.result, error, readyAt, started, now, e.status === 'succeeded' ? seq : null, b.position,
    );
    if (done.changes === 0) {
      this.dropEvent.run(seq);
      return false;
    }
    this.insertAttemptDone.run(runId, b.key, b.attempt, e.status === 'succeeded' ? 'succeeded' : 'failed', owner, started, now, error);
    return true;
  }

  private endEvent(runId: string, now: number, key: string, attempt: number, status: string, error: string | null, readyAt: number | null): number {
    const data = error !== null ? JSON.stringify(readyAt !== null ? { error, retryAt: readyAt } : { error }) : null;
    return Number(this.event.run(runId, now, `step:${status}`, key, attempt > 0 ? attempt : null, data).lastInsertRowid);
  }

  recordValue(runId: string, owner: string, e: { position: number; key: string; name: string; result: string }): boolean {
    if (!this.owns(runId, owner)) return false;
    const now = this.clock.now();
    this.value.run(runId, e.key, e.name, e.result, now, now, e.position);
    return true;
  }

  journal(runId: string): JournalEntry[] {
    return (this.entries.all(runId) as StepRecord[]).map(toEntry);
  }

  takeSignal(runId: string, owner: string, name: string, key: string): { payload: string | null } | undefined {
    if (!this.owns(runId, owner)) return undefined;
    const sig = this.oldestSignal.get(runId, name) as { seq: number; payload: string | null } | undefined;
    if (!sig) return undefined;
    const now = this.clock.now();
    if (this.takeEntry.run(sig.payload, now, runId, key).changes === 0) return undefined;
    this.takeSignalRow.run(key, now, sig.seq);
    this.event.run(runId, now, 'signal:received', key, null, JSON.stringify({ name, seq: sig.seq }));
    return { payload: sig.payload };
  }
}
