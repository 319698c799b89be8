/**
 * @module store/sqlite/reads
 * The SQLite store's reads: runs (one, a page of them, what settling one
 * needs), steps, attempts, events, log lines and outputs. Each is called in
 * the store's read transaction.
 */
import type Database from 'better-sqlite3';
import { BatonError } from '../../core/errors.js';
import type { RunStatus, StepStatus } from '../../core/states.js';
import { likeEscape, RUN_COLUMNS, STEP_COLUMNS, toAttempt, toEvent, toLog, toRun, toStep, type AttemptRecord, type EventRecord, type LogRecord, type RunRecord, type StepRecord } from '../rows.js';
import type { AttemptRow, EventRow, ListedRun, LogQuery, RunQuery, RunRow, SettleFacts, StepRow, StoredLogLine } from '../store.js';

export function getRun(db: Database.Database, runId: string): RunRow | undefined {
  const r = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r JOIN run_payloads p ON p.run_id = r.id WHERE r.id = ?`).get(runId) as RunRecord | undefined;
  return r ? toRun(r) : undefined;
}

export function settleFacts(db: Database.Database, runId: string): SettleFacts | undefined {
  const r = db.prepare('SELECT status, then_status, error FROM runs WHERE id = ?').get(runId) as { status: RunStatus; then_status: RunStatus | null; error: string | null } | undefined;
  if (!r) return undefined;
  const failed = db.prepare(`SELECT id FROM steps WHERE run_id = ? AND kind = 'task' AND status = 'failed' ORDER BY ord`).pluck().all(runId) as string[];
  return { status: r.status, thenStatus: r.then_status, error: r.error, failedTasks: failed };
}

export function findRunId(db: Database.Database, prefix: string): string | undefined {
  const rows = db
    .prepare(`SELECT id FROM runs WHERE id >= ? AND id < ? || char(1114111) ORDER BY id LIMIT 2`)
    .all(prefix, prefix) as Array<{ id: string }>;
  if (rows[0]?.id === prefix) return prefix;
  if (rows.length > 1) {
    throw new BatonError('USAGE', `run id prefix "${prefix}" is ambiguous; give more characters`);
  }
  return rows[0]?.id;
}

export function listRuns(db: Database.Database, query: RunQuery = {}): ListedRun[] {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (query.workflow) add('r.workflow = ?', query.workflow);
  if (query.status) add('r.status = ?', query.status);
  if (query.before) add('(r.created_at, r.id) < (SELECT created_at, id FROM runs WHERE id = ?)', query.before);
  if (query.since !== undefined) add('r.created_at >= ?', query.since);
  if (query.until !== undefined) add('r.created_at < ?', query.until);
  if (query.search) add("(r.id LIKE ? ESCAPE '\\' OR p.input LIKE ? ESCAPE '\\')", `${likeEscape(query.search)}%`, `%${likeEscape(query.search)}%`);
  if (query.trigger) add('r.started_by = ?', query.trigger);
  const sql = `SELECT ${RUN_COLUMNS} FROM runs r JOIN run_payloads p ON p.run_id = r.id
    ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`;
  params.push(query.limit ?? 20);
  return (db.prepare(sql).all(...params) as RunRecord[]).map(toRun);
}

export function getSteps(db: Database.Database, runId: string): StepRow[] {
  return (db.prepare(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY ord`).all(runId) as StepRecord[]).map(toStep);
}

export function getAttempts(db: Database.Database, runId: string, stepId?: string): AttemptRow[] {
  const rows = stepId
    ? db.prepare('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt').all(runId, stepId)
    : db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY started_at, step_id, attempt').all(runId);
  return (rows as AttemptRecord[]).map(toAttempt);
}

export function getEvents(db: Database.Database, runId: string, afterSeq = 0): EventRow[] {
  return (db.prepare('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq').all(runId, afterSeq) as EventRecord[]).map(toEvent);
}

export function eventsAfter(db: Database.Database, afterSeq: number, limit: number): EventRow[] {
  return (db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as EventRecord[]).map(toEvent);
}

export function lastEventSeq(db: Database.Database): number {
  return (db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').get() as { seq: number }).seq;
}

export function getLogs(db: Database.Database, q: LogQuery): StoredLogLine[] {
  const where = ['run_id = ?', 'seq > ?'];
  const params: unknown[] = [q.runId, q.afterSeq ?? 0];
  if (q.stepId !== undefined) {
    where.push('step_id = ?');
    params.push(q.stepId);
  }
  if (q.attempt !== undefined) {
    where.push('attempt = ?');
    params.push(q.attempt);
  }
  params.push(q.limit ?? -1);
  const sql = `SELECT * FROM logs WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
  return (db.prepare(sql).all(...params) as LogRecord[]).map(toLog);
}

export function getOutputs(db: Database.Database, runId: string, stepIds: readonly string[]): Map<string, { status: StepStatus; outputs: Record<string, string> }> {
  const out = new Map<string, { status: StepStatus; outputs: Record<string, string> }>();
  const get = db.prepare('SELECT status, outputs FROM steps WHERE run_id = ? AND id = ?');
  for (const id of stepIds) {
    const r = get.get(runId, id) as { status: string; outputs: string | null } | undefined;
    if (r) out.set(id, { status: r.status as StepStatus, outputs: r.outputs ? (JSON.parse(r.outputs) as Record<string, string>) : {} });
  }
  return out;
}
