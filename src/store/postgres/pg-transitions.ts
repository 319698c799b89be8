/**
 * @module store/postgres/pg-transitions
 * The guarded step and run transitions on PostgreSQL, each inside one
 * transaction: the same rules as store/sqlite/transitions.ts. (A step's
 * finish is the function baton_finish, migration 0003: one round trip.) Claims take
 * ready steps with FOR UPDATE SKIP LOCKED, so many workers claim at once
 * without waiting on each other or taking the same step.
 */
import type { RunGate } from '../../core/flow.js';
import { isCodeRef } from '../../core/workflow-code.js';
import type { Claim, ClaimRequest, NewRun, RunResultFields } from '../store.js';
import { startedBy } from '../rows.js';
import type { Tx } from './pg-db.js';

const FINAL = `('succeeded', 'failed', 'skipped', 'cancelled', 'compensated')`;

export async function event(tx: Tx, runId: string, type: string, stepId?: string | null, attempt?: number | null, data?: Record<string, unknown> | null): Promise<number> {
  const [row] = await tx.q<{ seq: number }>('INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq', [
    runId,
    tx.now,
    type,
    stepId ?? null,
    attempt ?? null,
    data ? JSON.stringify(data) : null,
  ]);
  return (row as { seq: number }).seq;
}

export async function createRun(tx: Tx, run: NewRun, owner: string | null): Promise<void> {
  const now = tx.now;
  const timeoutMs = run.definition.timeoutMs;
  const gated = (run.gates?.length ?? 0) > 0;
  const priority = run.priority ?? 0;
  await tx.q(
    `INSERT INTO runs (id, workflow, status, created_at, started_at, owner, open_steps, parent_id, kind, deadline, priority, gates, started_by)
     VALUES ($1, $2, $9, $3, CASE WHEN $9 = 'queued' THEN NULL ELSE $3::bigint END, $4, $5, $6, $7, $8, $10, $11, $12)`,
    [run.id, run.workflow, now, owner, run.steps.length, run.parentId ?? null, isCodeRef(run.definition) ? 'code' : 'file', timeoutMs !== undefined ? now + timeoutMs : null, gated ? 'queued' : 'running', priority, gated ? JSON.stringify(run.gates) : null, startedBy(run)],
  );
  await tx.q('INSERT INTO run_payloads (run_id, input, definition) VALUES ($1, $2, $3)', [run.id, JSON.stringify(run.input), JSON.stringify(run.definition)]);
  if (run.steps.length > 0) {
    const ids: string[] = [];
    const statuses: string[] = [];
    const unmet: number[] = [];
    const deps: string[] = [];
    const ready: (number | null)[] = [];
    const ords: number[] = [];
    const pools: (string | null)[] = [];
    const priorities: number[] = [];
    const edgeDep: string[] = [];
    const edgeStep: string[] = [];
    run.steps.forEach((step, i) => {
      const set = [...new Set(step.dependsOn)];
      ids.push(step.id);
      statuses.push(set.length > 0 || gated ? 'pending' : step.pool === undefined ? 'ready' : 'queued');
      pools.push(step.pool ?? null);
      priorities.push(step.priority ?? priority);
      unmet.push(set.length);
      deps.push(JSON.stringify(set));
      ready.push(set.length === 0 ? Math.max(now, run.notBefore ?? now) : null);
      ords.push(i);
      for (const d of set) {
        edgeDep.push(d);
        edgeStep.push(step.id);
      }
    });
    await tx.q(
      `INSERT INTO steps (run_id, id, status, deps_unmet, depends_on, ready_at, ord, pool, priority, for_workers)
       SELECT $1, *, $10::boolean FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::bigint[], $7::int[], $8::text[], $9::int[])`,
      [run.id, ids, statuses, unmet, deps, ready, ords, pools, priorities, owner === null && !isCodeRef(run.definition)],
    );
    const queued = pools.filter((pool, i) => pool !== null && statuses[i] === 'queued');
    if (queued.length > 0) await tx.q('SELECT baton_admit_pools($1::text[], $2)', [queued, now]);
    if (edgeDep.length > 0) {
      await tx.q(`INSERT INTO step_edges (run_id, dep_id, step_id) SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT DO NOTHING`, [run.id, edgeDep, edgeStep]);
    }
  }
  if (!gated) {
    await event(tx, run.id, 'run:started', null, null, { workflow: run.workflow, steps: run.steps.length });
  } else if (!(await queueRun(tx, run.id, run.gates!, priority))) {
    await event(tx, run.id, 'run:queued', null, null, { workflow: run.workflow, steps: run.steps.length, gates: run.gates!.map((g) => g.key) });
  }
}

/** Queue a run (status queued) behind its gates, then admit what fits: true if it started. */
async function queueRun(tx: Tx, runId: string, gates: readonly RunGate[], priority: number): Promise<boolean> {
  await tx.q(
    `INSERT INTO run_gates (gate, run_id, lim, held, priority, queued_at) SELECT g, $2, l, false, $3, $4 FROM unnest($1::text[], $5::int[]) AS u(g, l)
     ON CONFLICT (gate, run_id) DO UPDATE SET held = false, lim = excluded.lim, queued_at = excluded.queued_at`,
    [gates.map((g) => g.key), runId, priority, tx.now, gates.map((g) => g.limit)],
  );
  const [row] = await tx.q<{ admitted: string[] }>('SELECT baton_admit_runs($1::text[], $2) AS admitted', [gates.map((g) => g.key), tx.now]);
  return (row?.admitted ?? []).includes(runId);
}

interface ClaimedRecord {
  id: string;
  kind: string;
  attempt: number;
  epoch: number;
  failures: number;
  deps_not_ok: number;
  target: string | null;
}

export async function claim(tx: Tx, req: ClaimRequest): Promise<Claim[]> {
  const now = tx.now;
  const rows = await tx.q<ClaimedRecord>(
    `WITH picked AS (
       SELECT run_id, id FROM steps
       WHERE run_id = $4 AND status IN ('ready', 'retrying') AND ready_at <= $3
       ORDER BY ready_at, ord LIMIT $5 FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE steps s SET status = 'running', attempt = s.attempt + 1, epoch = s.epoch + 1,
         lease_owner = $1, lease_until = $2, started_at = COALESCE(s.started_at, $3)
       FROM picked WHERE s.run_id = picked.run_id AND s.id = picked.id
       RETURNING s.id, s.kind, s.attempt, s.epoch, s.failures, s.deps_not_ok, s.target),
     attempts AS (
       INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at)
       SELECT $4, id, attempt, 'running', $1, $3 FROM claimed),
     events AS (
       INSERT INTO events (run_id, at, type, step_id, attempt) SELECT $4, $3, 'step:started', id, attempt FROM claimed)
     SELECT * FROM claimed`,
    [req.owner, now + req.leaseMs, now, req.runId, req.limit],
  );
  return rows.map((r) => {
    const c: Claim = { runId: req.runId, stepId: r.id, kind: r.kind as Claim['kind'], attempt: r.attempt, epoch: r.epoch, failures: r.failures, depsNotOk: r.deps_not_ok };
    if (r.target !== null) c.target = r.target;
    return c;
  });
}

async function crashed(tx: Tx, runId: string, stepId: string, attempt: number, why: string): Promise<void> {
  await tx.q(`UPDATE attempts SET status = 'crashed', finished_at = $1, error = $2 WHERE run_id = $3 AND step_id = $4 AND attempt = $5 AND status = 'running'`, [
    tx.now,
    why,
    runId,
    stepId,
    attempt,
  ]);
  await event(tx, runId, 'step:crashed', stepId, attempt, { error: why });
}

export async function recoverRun(tx: Tx, runId: string): Promise<number> {
  const rows = await tx.q<{ id: string; attempt: number }>(
    `UPDATE steps SET status = 'ready', ready_at = $1, lease_owner = NULL, lease_until = NULL WHERE run_id = $2 AND status = 'running' RETURNING id, attempt`,
    [tx.now, runId],
  );
  for (const r of rows) await crashed(tx, runId, r.id, r.attempt, 'the process running it stopped');
  return rows.length;
}

export async function sweepExpired(tx: Tx): Promise<number> {
  const rows = await tx.q<{ run_id: string; id: string; attempt: number }>(
    `UPDATE steps SET status = 'ready', ready_at = $1, lease_owner = NULL, lease_until = NULL
     WHERE (run_id, id) IN (SELECT run_id, id FROM steps WHERE status = 'running' AND lease_until < $1 FOR UPDATE SKIP LOCKED)
     RETURNING run_id, id, attempt`,
    [tx.now],
  );
  for (const r of rows) await crashed(tx, r.run_id, r.id, r.attempt, 'lease expired');
  return rows.length;
}

export async function cancelSteps(tx: Tx, runId: string, reason: string): Promise<string[]> {
  const running = (await tx.q<{ id: string }>(`SELECT id FROM steps WHERE run_id = $1 AND status = 'running'`, [runId])).map((r) => r.id);
  const rows = await tx.q<{ id: string; pool: string | null }>(
    `UPDATE steps SET status = 'cancelled', finished_at = $1, error = COALESCE(error, $2), lease_owner = NULL, lease_until = NULL
     WHERE run_id = $3 AND status NOT IN ${FINAL} RETURNING id, pool`,
    [tx.now, reason, runId],
  );
  const pools = rows.flatMap((r) => (r.pool === null ? [] : [r.pool]));
  if (pools.length > 0) await tx.q('SELECT baton_admit_pools($1::text[], $2)', [pools, tx.now]);
  await tx.q(`UPDATE attempts SET status = 'cancelled', finished_at = $1, error = $2 WHERE run_id = $3 AND status = 'running'`, [tx.now, reason, runId]);
  await tx.q('UPDATE runs SET open_steps = 0 WHERE id = $1', [runId]);
  if (rows.length > 0) await event(tx, runId, 'steps:cancelled', null, null, { steps: rows.length, reason });
  return running;
}

export async function addRollbacks(tx: Tx, runId: string, targets: readonly string[]): Promise<void> {
  const [m] = await tx.q<{ m: number }>('SELECT COALESCE(MAX(ord), 0) AS m FROM steps WHERE run_id = $1', [runId]);
  let ord = m?.m ?? 0;
  let previous: string | null = null;
  for (const target of targets) {
    const id = `${target}.rollback`;
    const deps = previous ? [previous] : [];
    await tx.q(
      `INSERT INTO steps (run_id, id, kind, target, status, deps_unmet, depends_on, ready_at, ord, for_workers)
       VALUES ($1, $2, 'rollback', $3, $4, $5, $6, $7, $8, (SELECT owner IS NULL FROM runs WHERE id = $1))
       ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, deps_unmet = excluded.deps_unmet, deps_not_ok = 0,
         depends_on = excluded.depends_on, ready_at = excluded.ready_at, failures = 0, started_at = NULL, finished_at = NULL,
         exit_code = NULL, error = NULL, outputs = NULL`,
      [runId, id, target, previous ? 'pending' : 'ready', deps.length, JSON.stringify(deps), previous ? null : tx.now, ++ord],
    );
    if (previous) await tx.q('INSERT INTO step_edges (run_id, dep_id, step_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [runId, previous, id]);
    previous = id;
  }
  await tx.q('UPDATE runs SET open_steps = open_steps + $1 WHERE id = $2', [targets.length, runId]);
  await event(tx, runId, 'run:compensating', null, null, { rollbacks: targets });
}

export async function setRunStatus(tx: Tx, runId: string, from: readonly string[], to: string, f: RunResultFields): Promise<boolean> {
  const final = ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(to);
  const rows = await tx.q<{ gates: string | null }>(
    `UPDATE runs SET status = $1, error = $2, then_status = $3, wake_at = $4, finished_at = $5 WHERE id = $6 AND status = ANY($7::text[]) RETURNING gates`,
    [to, f.error ?? null, f.thenStatus ?? null, f.wakeAt ?? null, final ? tx.now : null, runId, [...from]],
  );
  if (rows.length === 0) return false;
  if (f.result !== undefined) await tx.q('UPDATE run_payloads SET result = $1 WHERE run_id = $2', [f.result, runId]);
  const data: Record<string, unknown> = {};
  if (f.error) data.error = f.error;
  if (f.wakeAt) data.until = f.wakeAt;
  await event(tx, runId, `run:${to}`, null, null, Object.keys(data).length > 0 ? data : null);
  if (final && rows[0]?.gates) await tx.q('SELECT baton_release_run($1, $2)', [runId, tx.now]);
  return true;
}

export async function resetForRetry(tx: Tx, runId: string, owner: string | null): Promise<string[]> {
  const reset = (
    await tx.q<{ id: string }>(
      `UPDATE steps SET status = 'pending', failures = 0, exit_code = NULL, error = NULL, outputs = NULL, started_at = NULL, finished_at = NULL,
         ready_at = NULL, deps_not_ok = 0, completed_seq = NULL
       WHERE run_id = $1 AND kind = 'task' AND status IN ('failed', 'skipped', 'cancelled', 'compensated') RETURNING id`,
      [runId],
    )
  ).map((r) => r.id);
  const journal = await tx.q<{ id: string }>(
    `UPDATE steps SET status = 'ready', failures = 0, error = NULL, result = NULL, ready_at = NULL, finished_at = NULL, completed_seq = NULL
     WHERE run_id = $1 AND kind NOT IN ('task', 'rollback', 'value') AND status IN ('failed', 'cancelled', 'compensated', 'waiting', 'running', 'retrying')
     RETURNING id`,
    [runId],
  );
  for (const r of journal) reset.push(r.id);
  await tx.q(
    `UPDATE steps SET deps_unmet = (
       SELECT count(*) FROM step_edges e JOIN steps d ON d.run_id = e.run_id AND d.id = e.dep_id
       WHERE e.run_id = steps.run_id AND e.step_id = steps.id AND d.status <> 'succeeded')
     WHERE run_id = $1 AND status = 'pending'`,
    [runId],
  );
  const [run] = await tx.q<{ gates: string | null; priority: number }>(
    `UPDATE runs SET status = CASE WHEN gates IS NULL THEN 'running' ELSE 'queued' END, run_attempt = run_attempt + 1, finished_at = NULL, error = NULL,
       then_status = NULL, started_at = $1, owner = $2, open_steps = $3 WHERE id = $4 RETURNING gates, priority`,
    [tx.now, owner, reset.length, runId],
  );
  await event(tx, runId, 'run:retried', null, null, { steps: reset });
  if (run?.gates) {
    const gates = JSON.parse(run.gates) as RunGate[];
    if (!(await queueRun(tx, runId, gates, run.priority))) await event(tx, runId, 'run:queued', null, null, { gates: gates.map((g) => g.key) });
    return reset;
  }
  const ready = await tx.q<{ pool: string | null }>(
    `UPDATE steps SET status = CASE WHEN pool IS NULL THEN 'ready' ELSE 'queued' END, ready_at = $1 WHERE run_id = $2 AND status = 'pending' AND deps_unmet = 0 RETURNING pool`,
    [tx.now, runId],
  );
  const pools = ready.flatMap((r) => (r.pool === null ? [] : [r.pool]));
  if (pools.length > 0) await tx.q('SELECT baton_admit_pools($1::text[], $2)', [pools, tx.now]);
  return reset;
}
