/**
 * @module store/postgres/pg-batch
 * A worker's hot path on PostgreSQL, each one statement on its own (one
 * round trip, one commit): a step's finish (baton_finish, migration 0003),
 * a batch of finishes with the next claims (baton_step_batch, migration
 * 0004) and a heartbeat of every lease in hand (and of the worker holding them).
 */
import type { AttemptOutcome, Claim, FinishResult, StepBatch, StepBatchResult } from '../store.js';
import type { Tx } from './pg-db.js';

type Query = Tx['q'];

interface FinishFields {
  status: string;
  exitCode: number | null;
  outputs: string | null;
  error: string | null;
  readyAt: number | null;
}

/** An outcome as the step's columns: a failure with a retry time is `retrying`. */
function finishFields(outcome: AttemptOutcome): FinishFields {
  if (outcome.status === 'skipped') return { status: 'skipped', exitCode: null, outputs: null, error: outcome.reason, readyAt: null };
  const fields = { exitCode: outcome.exitCode ?? null, outputs: outcome.outputs ? JSON.stringify(outcome.outputs) : null };
  if (outcome.status === 'succeeded') return { status: 'succeeded', ...fields, error: null, readyAt: null };
  return { status: outcome.retryAt !== undefined ? 'retrying' : 'failed', ...fields, error: outcome.error, readyAt: outcome.retryAt ?? null };
}

export async function finishStep(q: Query, claim: Claim, outcome: AttemptOutcome, now: number | null): Promise<FinishResult> {
  const f = finishFields(outcome);
  const [row] = await q<{ accepted: boolean; open_steps: number }>('SELECT * FROM baton_finish($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
    claim.runId,
    claim.stepId,
    claim.epoch,
    claim.attempt,
    now,
    f.status,
    f.exitCode,
    f.outputs,
    f.error,
    f.readyAt,
  ]);
  return { accepted: row?.accepted ?? false, openSteps: row?.open_steps ?? 0 };
}

interface BatchRecord {
  row_kind: 'finish' | 'claim' | 'due';
  run_id: string;
  step_id: string;
  accepted: boolean | null;
  open_steps: number | null;
  kind: string | null;
  attempt: number;
  epoch: number;
  failures: number;
  deps_not_ok: number;
  target: string | null;
  due: number | null;
}

export async function stepBatch(q: Query, batch: StepBatch, now: number | null): Promise<StepBatchResult> {
  const cols = { run: [] as string[], step: [] as string[], epoch: [] as number[], attempt: [] as number[], status: [] as string[] };
  const more = { exit: [] as (number | null)[], outputs: [] as (string | null)[], error: [] as (string | null)[], ready: [] as (number | null)[] };
  for (const { claim, outcome } of batch.finishes) {
    const f = finishFields(outcome);
    cols.run.push(claim.runId);
    cols.step.push(claim.stepId);
    cols.epoch.push(claim.epoch);
    cols.attempt.push(claim.attempt);
    cols.status.push(f.status);
    more.exit.push(f.exitCode);
    more.outputs.push(f.outputs);
    more.error.push(f.error);
    more.ready.push(f.readyAt);
  }
  const rows = await q<BatchRecord>(
    `SELECT * FROM baton_step_batch($1, $2, $3, $4, $5::text[], $6::text[], $7::int[], $8::int[], $9::text[], $10::int[], $11::text[], $12::text[], $13::bigint[])`,
    [batch.claim.owner, now, batch.claim.leaseMs, batch.claim.limit, cols.run, cols.step, cols.epoch, cols.attempt, cols.status, more.exit, more.outputs, more.error, more.ready],
  );
  const finished = new Map<string, FinishResult>();
  const claims: Claim[] = [];
  let nextDue: number | null = null;
  for (const r of rows) {
    if (r.row_kind === 'finish') finished.set(`${r.run_id}\u0000${r.step_id}`, { accepted: r.accepted === true, openSteps: r.open_steps ?? 0 });
    else if (r.row_kind === 'due') nextDue = r.due;
    else claims.push(toClaim(r));
  }
  return {
    finished: batch.finishes.map(({ claim }) => finished.get(`${claim.runId}\u0000${claim.stepId}`) ?? { accepted: false, openSteps: 0 }),
    claims,
    nextDue,
  };
}

/** Store.returnClaims: one statement; workers waiting for work are told (NOTIFY, delivered on commit). */
export async function returnClaims(q: Query, claims: readonly Claim[], now: number | null): Promise<Claim[]> {
  if (claims.length === 0) return [];
  const rows = await q<{ run_id: string; id: string }>(
    `WITH clock AS (SELECT COALESCE($1::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint) AS now),
     back AS (
       UPDATE steps s SET status = CASE WHEN s.failures > 0 THEN 'retrying' ELSE 'ready' END, attempt = s.attempt - 1,
           lease_owner = NULL, lease_until = NULL, started_at = CASE WHEN s.attempt = 1 THEN NULL ELSE s.started_at END
         FROM unnest($2::text[], $3::text[], $4::int[]) AS c(run_id, id, epoch)
         WHERE s.run_id = c.run_id AND s.id = c.id AND s.epoch = c.epoch AND s.status = 'running'
         RETURNING s.run_id, s.id, s.attempt + 1 AS attempt),
     gone AS (DELETE FROM attempts a USING back b WHERE a.run_id = b.run_id AND a.step_id = b.id AND a.attempt = b.attempt),
     ev AS (INSERT INTO events (run_id, at, type, step_id, attempt) SELECT b.run_id, (SELECT now FROM clock), 'step:returned', b.id, b.attempt FROM back b),
     told AS (SELECT count(pg_notify('baton_changes', r.run_id)) AS n FROM (SELECT DISTINCT run_id FROM back) r)
     SELECT b.run_id, b.id FROM back b, told`,
    [now, claims.map((c) => c.runId), claims.map((c) => c.stepId), claims.map((c) => c.epoch)],
  );
  const back = new Set(rows.map((r) => `${r.run_id}\u0000${r.id}`));
  return claims.filter((c) => back.has(`${c.runId}\u0000${c.stepId}`));
}

export async function leasedSteps(q: Query, owner: string): Promise<Claim[]> {
  const rows = await q<BatchRecord>(
    `SELECT run_id, id AS step_id, kind, attempt, epoch, failures, deps_not_ok, target FROM steps WHERE status = 'running' AND lease_owner = $1`,
    [owner],
  );
  return rows.map(toClaim);
}

function toClaim(r: BatchRecord): Claim {
  const c: Claim = { runId: r.run_id, stepId: r.step_id, kind: r.kind as Claim['kind'], attempt: r.attempt, epoch: r.epoch, failures: r.failures, depsNotOk: r.deps_not_ok };
  if (r.target !== null) c.target = r.target;
  return c;
}

/**
 * Every lease in hand extended in one statement; returns the claims no
 * longer held. With `worker`, the same statement marks that worker seen.
 */
export async function heartbeat(q: Query, claims: readonly Claim[], leaseMs: number, now: number | null, worker?: string): Promise<Claim[]> {
  if (claims.length === 0 && worker === undefined) return [];
  const kept = await q<{ run_id: string; id: string }>(
    `WITH clock AS (SELECT COALESCE($1::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint) AS now),
     beat AS (UPDATE workers SET seen_at = (SELECT now FROM clock) WHERE id = $6::text AND stopped_at IS NULL)
     UPDATE steps s SET lease_until = (SELECT now FROM clock) + $2
     FROM unnest($3::text[], $4::text[], $5::int[]) AS c(run_id, id, epoch)
     WHERE s.run_id = c.run_id AND s.id = c.id AND s.epoch = c.epoch AND s.status = 'running'
     RETURNING s.run_id, s.id`,
    [now, leaseMs, claims.map((c) => c.runId), claims.map((c) => c.stepId), claims.map((c) => c.epoch), worker ?? null],
  );
  const held = new Set(kept.map((r) => `${r.run_id}\u0000${r.id}`));
  return claims.filter((c) => !held.has(`${c.runId}\u0000${c.stepId}`));
}
