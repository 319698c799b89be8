/**
 * @module store/postgres/pg-reads
 * The PostgreSQL store's reads: runs (one, a page of them, what settling one
 * needs), steps, attempts, events, log lines and outputs.
 */
import { BatonError } from '../../core/errors.js';
import type { RunStatus, StepStatus } from '../../core/states.js';
import { likeEscape, RUN_COLUMNS, STEP_COLUMNS, toAttempt, toEvent, toLog, toRun, toStep, type AttemptRecord, type EventRecord, type LogRecord, type RunRecord, type StepRecord } from '../rows.js';
import type { AttemptRow, EventRow, ListedRun, LogQuery, RunQuery, RunRow, SettleFacts, StepRow, StoredLogLine } from '../store.js';
import type { PgDb } from './pg-db.js';

export async function getRun(db: PgDb, runId: string): Promise<RunRow | undefined> {
  const [r] = await db.q<RunRecord>(`SELECT ${RUN_COLUMNS} FROM runs r JOIN run_payloads p ON p.run_id = r.id WHERE r.id = $1`, [runId]);
  return r ? toRun(r) : undefined;
}

export async function settleFacts(db: PgDb, runId: string): Promise<SettleFacts | undefined> {
  const [r] = await db.q<{ status: RunStatus; then_status: RunStatus | null; error: string | null; failed: string[] }>(
    `SELECT r.status, r.then_status, r.error,
       ARRAY(SELECT s.id FROM steps s WHERE s.run_id = r.id AND s.kind = 'task' AND s.status = 'failed' ORDER BY s.ord, s.id) AS failed
     FROM runs r WHERE r.id = $1`,
    [runId],
  );
  return r ? { status: r.status, thenStatus: r.then_status, error: r.error, failedTasks: r.failed } : undefined;
}

export async function findRunId(db: PgDb, prefix: string): Promise<string | undefined> {
  const rows = await db.q<{ id: string }>(`SELECT id FROM runs WHERE id >= $1 AND id < $1 || chr(1114111) ORDER BY id LIMIT 2`, [prefix]);
  if (rows[0]?.id === prefix) return prefix;
  if (rows.length > 1) throw new BatonError('USAGE', `run id prefix "${prefix}" is ambiguous; give more characters`);
  return rows[0]?.id;
}

export async function listRuns(db: PgDb, query: RunQuery = {}): Promise<ListedRun[]> {
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
  return (await db.q<RunRecord>(sql, params)).map(toRun);
}

export async function getSteps(db: PgDb, runId: string): Promise<StepRow[]> {
  return (await db.q<StepRecord>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY ord, id`, [runId])).map(toStep);
}

export async function getAttempts(db: PgDb, runId: string, stepId?: string): Promise<AttemptRow[]> {
  const rows = stepId
    ? await db.q<AttemptRecord>('SELECT * FROM attempts WHERE run_id = $1 AND step_id = $2 ORDER BY attempt', [runId, stepId])
    : await db.q<AttemptRecord>('SELECT * FROM attempts WHERE run_id = $1 ORDER BY started_at, step_id, attempt', [runId]);
  return rows.map(toAttempt);
}

export async function getEvents(db: PgDb, runId: string, afterSeq = 0): Promise<EventRow[]> {
  return (await db.q<EventRecord>('SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq', [runId, afterSeq])).map(toEvent);
}

export async function eventsAfter(db: PgDb, afterSeq: number, limit: number): Promise<EventRow[]> {
  return (await db.q<EventRecord>('SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(toEvent);
}

export async function lastEventSeq(db: PgDb): Promise<number> {
  const [row] = await db.q<{ seq: string }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events');
  return Number(row?.seq ?? 0);
}

export async function getLogs(db: PgDb, q: LogQuery): Promise<StoredLogLine[]> {
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
  return (await db.q<LogRecord>(`SELECT * FROM logs WHERE ${where.join(' AND ')} ORDER BY seq${limit}`, params)).map(toLog);
}

export async function getOutputs(db: PgDb, runId: string, stepIds: readonly string[]): Promise<Map<string, { status: StepStatus; outputs: Record<string, string> }>> {
  const out = new Map<string, { status: StepStatus; outputs: Record<string, string> }>();
  if (stepIds.length === 0) return out;
  const rows = await db.q<{ id: string; status: string; outputs: string | null }>('SELECT id, status, outputs FROM steps WHERE run_id = $1 AND id = ANY($2::text[])', [
    runId,
    [...stepIds],
  ]);
  for (const r of rows) out.set(r.id, { status: r.status as StepStatus, outputs: r.outputs ? (JSON.parse(r.outputs) as Record<string, string>) : {} });
  return out;
}
