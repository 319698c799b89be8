/**
 * @module store/sqlite/rows
 * Rows as SQLite returns them, mapped to the Store's camelCase objects in one place.
 */
import type { FireOutcome, FireRecord, ScheduleState } from '../core/schedule.js';
import type { TokenRecord } from '../core/tokens.js';
import type { RunTrigger } from '../core/run-trigger.js';
import type { RunDefinition } from '../core/workflow-code.js';
import type { AttemptStatus, RunStatus, StepKind, StepStatus } from '../core/states.js';
import type { AttemptRow, EventRow, JournalEntry, NewRun, RunRow, StepRow, StoredLogLine, Stream } from './store.js';

/** The columns toRun reads (runs r joined to run_payloads p), the same on both backends. */
export const RUN_COLUMNS = `r.id, r.workflow, r.status, r.run_attempt, p.input, p.definition, r.created_at, r.started_at,
  r.finished_at, r.owner, r.error, r.then_status, r.parent_id, r.wake_at, r.lease_until, r.priority, r.started_by`;
/** The columns toStep and toEntry read. */
export const STEP_COLUMNS = `run_id, id, kind, target, status, attempt, failures, exit_code, started_at, finished_at,
  ready_at, outputs, error, completed_seq, depends_on, name, result, ord, pool`;

export interface RunRecord {
  id: string;
  workflow: string;
  status: string;
  run_attempt: number;
  input: string;
  definition: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  owner: string | null;
  error: string | null;
  then_status: string | null;
  parent_id: string | null;
  wake_at: number | null;
  lease_until: number | null;
  priority: number;
  started_by: string;
}

export function toRun(r: RunRecord): RunRow {
  return {
    id: r.id,
    workflow: r.workflow,
    status: r.status as RunStatus,
    runAttempt: r.run_attempt,
    input: JSON.parse(r.input) as unknown,
    definition: JSON.parse(r.definition) as RunDefinition,
    parentId: r.parent_id,
    wakeAt: r.wake_at,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    owner: r.owner,
    error: r.error,
    thenStatus: r.then_status as RunStatus | null,
    priority: Number(r.priority),
    trigger: r.started_by as RunTrigger,
  };
}

export interface StepRecord {
  run_id: string;
  id: string;
  kind: string;
  target: string | null;
  status: string;
  attempt: number;
  failures: number;
  exit_code: number | null;
  started_at: number | null;
  finished_at: number | null;
  ready_at: number | null;
  outputs: string | null;
  error: string | null;
  completed_seq: number | null;
  depends_on: string;
  name: string | null;
  result: string | null;
  ord: number;
  pool: string | null;
}

export function toStep(r: StepRecord): StepRow {
  return {
    runId: r.run_id,
    id: r.id,
    kind: r.kind as StepKind,
    status: r.status as StepStatus,
    attempt: r.attempt,
    failures: r.failures,
    exitCode: r.exit_code,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    readyAt: r.ready_at,
    outputs: r.outputs ? (JSON.parse(r.outputs) as Record<string, string>) : {},
    error: r.error,
    completedSeq: r.completed_seq,
    dependsOn: JSON.parse(r.depends_on) as string[],
    target: r.target,
    name: r.name,
    result: r.result,
    pool: r.pool,
  };
}

export function toEntry(r: StepRecord): JournalEntry {
  return {
    position: r.ord,
    key: r.id,
    kind: r.kind as StepKind,
    name: r.name ?? r.id,
    status: r.status as StepStatus,
    attempt: r.attempt,
    failures: r.failures,
    result: r.result,
    readyAt: r.ready_at,
    completedSeq: r.completed_seq,
  };
}

export interface AttemptRecord {
  run_id: string;
  step_id: string;
  attempt: number;
  status: string;
  owner: string;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  error: string | null;
}

export function toAttempt(r: AttemptRecord): AttemptRow {
  return {
    runId: r.run_id,
    stepId: r.step_id,
    attempt: r.attempt,
    status: r.status as AttemptStatus,
    owner: r.owner,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    exitCode: r.exit_code,
    error: r.error,
  };
}

export interface EventRecord {
  seq: number;
  run_id: string;
  at: number;
  type: string;
  step_id: string | null;
  attempt: number | null;
  data: string | null;
}

export function toEvent(r: EventRecord): EventRow {
  return {
    seq: r.seq,
    runId: r.run_id,
    at: r.at,
    type: r.type,
    stepId: r.step_id,
    attempt: r.attempt,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
  };
}

export interface LogRecord {
  seq: number;
  run_id: string;
  step_id: string;
  attempt: number;
  stream: string;
  at: number;
  line: string;
}

export function toLog(r: LogRecord): StoredLogLine {
  return {
    seq: r.seq,
    runId: r.run_id,
    stepId: r.step_id,
    attempt: r.attempt,
    stream: r.stream as Stream,
    at: r.at,
    line: r.line,
  };
}

export interface TokenRow {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

export function toToken(r: TokenRow): TokenRecord {
  return { id: r.id, name: r.name, role: r.role as TokenRecord['role'], hash: r.hash, createdAt: r.created_at, revokedAt: r.revoked_at };
}

export interface FireRow {
  workflow: string;
  schedule: string;
  due_at: number;
  claimed_at: number;
  outcome: string;
  run_id: string | null;
}

export function toFire(r: FireRow): FireRecord {
  return { workflow: r.workflow, schedule: r.schedule, dueAt: r.due_at, claimedAt: r.claimed_at, outcome: r.outcome as FireOutcome, runId: r.run_id };
}

export interface ScheduleStateRow {
  workflow: string;
  schedule: string;
  paused: number | boolean;
  changed_at: number;
}

export function toScheduleState(r: ScheduleStateRow): ScheduleState {
  return { workflow: r.workflow, schedule: r.schedule, paused: r.paused === true || r.paused === 1, changedAt: r.changed_at };
}

/** Text for a LIKE pattern, its wildcards escaped (with ESCAPE '\'; PostgreSQL's default escape). */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** What started a new run, as its row keeps it. */
export function startedBy(run: Pick<NewRun, 'parentId' | 'trigger'>): RunTrigger {
  return run.trigger ?? (run.parentId !== undefined ? 'parent' : 'manual');
}
