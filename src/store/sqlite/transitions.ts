/**
 * @module store/sqlite/transitions
 * The guarded step and run transitions, as prepared statements run
 * synchronously inside a transaction that GroupCommit opens. Each guard is in
 * the WHERE clause (expected status, lease epoch); zero rows is a refused
 * transition, reported to the caller, never an overwrite.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import type { RunGate } from '../../core/flow.js';
import { isFinalRun, type RunStatus } from '../../core/states.js';
import { isCodeRef } from '../../core/workflow-code.js';
import { startedBy } from '../rows.js';
import { Admission } from './admission.js';
import type { AttemptOutcome, Claim, ClaimRequest, FinishResult, NewRun, RunResultFields } from '../store.js';

interface ClaimedRecord {
  id: string;
  kind: string;
  attempt: number;
  epoch: number;
  failures: number;
  deps_not_ok: number;
  target: string | null;
}

const FINAL = `('succeeded', 'failed', 'skipped', 'cancelled', 'compensated')`;

/** Claims, by LIMIT (see Transitions.claimStatement). */
const CLAIM = {
  one: (limit: number) => `UPDATE steps SET status = 'running', attempt = attempt + 1, epoch = epoch + 1,
          lease_owner = ?, lease_until = ?, started_at = COALESCE(started_at, ?)
        WHERE (run_id, id) IN (
          SELECT run_id, id FROM steps
          WHERE run_id = ? AND status IN ('ready', 'retrying') AND ready_at <= ?
          ORDER BY ready_at, ord LIMIT ${limit})
        RETURNING id, kind, attempt, epoch, failures, deps_not_ok, target`,
  any: (limit: number) => `UPDATE steps SET status = 'running', attempt = attempt + 1, epoch = epoch + 1,
          lease_owner = ?, lease_until = ?, started_at = COALESCE(started_at, ?)
        WHERE (run_id, id) IN (
          SELECT run_id, id FROM steps
          WHERE status IN ('ready', 'retrying') AND ready_at <= ? AND kind IN ('task', 'rollback')
            AND EXISTS (SELECT 1 FROM runs r WHERE r.id = steps.run_id AND r.owner IS NULL)
          ORDER BY ready_at, ord LIMIT ${limit})
        RETURNING run_id, id, kind, attempt, epoch, failures, deps_not_ok, target`,
};

export class Transitions {
  private readonly s: Record<string, Statement>;
  private readonly claims = new Map<string, Statement>();

  private readonly admission: Admission;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.admission = new Admission(db, (...a) => this.event(...a));
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertRun: p(`INSERT INTO runs (id, workflow, status, created_at, started_at, owner, open_steps, parent_id, kind, deadline, priority, gates, started_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertPayload: p(`INSERT INTO run_payloads (run_id, input, definition) VALUES (?, ?, ?)`),
      insertStep: p(`INSERT INTO steps (run_id, id, status, deps_unmet, depends_on, ready_at, ord, pool, priority)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertEdge: p(`INSERT OR IGNORE INTO step_edges (run_id, dep_id, step_id) VALUES (?, ?, ?)`),
      insertEvent: p(`INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (?, ?, ?, ?, ?, ?)`),
      runOwner: p(`SELECT owner FROM runs WHERE id = ?`),
      takeRun: p(`UPDATE runs SET owner = ? WHERE id = ?`),
      nextDueAny: p(`SELECT MIN(ready_at) AS due FROM steps WHERE status IN ('ready', 'retrying') AND kind IN ('task', 'rollback')
          AND EXISTS (SELECT 1 FROM runs r WHERE r.id = steps.run_id AND r.owner IS NULL)`),
      leasedSteps: p(`SELECT run_id, id, kind, attempt, epoch, failures, deps_not_ok, target FROM steps WHERE status = 'running' AND lease_owner = ?`),
      insertAttempt: p(`INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at) VALUES (?, ?, ?, 'running', ?, ?)`),
      heartbeat: p(`UPDATE steps SET lease_until = ? WHERE run_id = ? AND id = ? AND status = 'running' AND epoch = ?`),
      // A success takes the run's next completion number (closeSucceeded then counts it).
      finish: p(`UPDATE steps SET status = ?, finished_at = ?, exit_code = ?, outputs = ?, error = ?,
          failures = failures + ?, ready_at = ?, lease_owner = NULL, lease_until = NULL,
          completed_seq = CASE WHEN ? = 'succeeded' THEN (SELECT completed_seq + 1 FROM runs WHERE id = steps.run_id) ELSE completed_seq END
        WHERE run_id = ? AND id = ? AND status = 'running' AND epoch = ?
        RETURNING kind, target, pool`),
      closeSucceeded: p(`UPDATE runs SET open_steps = open_steps - 1, completed_seq = completed_seq + 1 WHERE id = ?
        RETURNING open_steps`),
      finishAttempt: p(`UPDATE attempts SET status = ?, finished_at = ?, exit_code = ?, error = ?
        WHERE run_id = ? AND step_id = ? AND attempt = ?`),
      unclaimSkipped: p(`UPDATE steps SET attempt = attempt - 1 WHERE run_id = ? AND id = ?`),
      deleteAttempt: p(`DELETE FROM attempts WHERE run_id = ? AND step_id = ? AND attempt = ?`),
      release: p(`UPDATE steps SET deps_unmet = deps_unmet - 1, deps_not_ok = deps_not_ok + ?,
          status = CASE WHEN deps_unmet > 1 THEN status WHEN pool IS NULL THEN 'ready' ELSE 'queued' END,
          ready_at = CASE WHEN deps_unmet = 1 THEN ? ELSE ready_at END
        WHERE run_id = ? AND status = 'pending'
          AND id IN (SELECT step_id FROM step_edges WHERE run_id = ? AND dep_id = ?)
        RETURNING pool`),
      closeStep: p(`UPDATE runs SET open_steps = open_steps - 1 WHERE id = ? RETURNING open_steps`),
      openSteps: p(`SELECT open_steps FROM runs WHERE id = ?`),
      compensate: p(`UPDATE steps SET status = 'compensated' WHERE run_id = ? AND id = ? AND status = 'succeeded'`),
      crashRunning: p(`UPDATE steps SET status = 'ready', ready_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE run_id = ? AND status = 'running' RETURNING id, attempt`),
      expired: p(`SELECT run_id, id FROM steps WHERE status = 'running' AND lease_until < ?`),
      crashOne: p(`UPDATE steps SET status = 'ready', ready_at = ?, lease_owner = NULL, lease_until = NULL
        WHERE run_id = ? AND id = ? AND status = 'running' AND lease_until < ? RETURNING attempt`),
      crashAttempt: p(`UPDATE attempts SET status = 'crashed', finished_at = ?, error = ?
        WHERE run_id = ? AND step_id = ? AND attempt = ? AND status = 'running'`),
      runningSteps: p(`SELECT id FROM steps WHERE run_id = ? AND status = 'running'`),
      cancelSteps: p(`UPDATE steps SET status = 'cancelled', finished_at = ?, error = COALESCE(error, ?),
          lease_owner = NULL, lease_until = NULL
        WHERE run_id = ? AND status NOT IN ${FINAL} RETURNING id, pool`),
      cancelAttempts: p(`UPDATE attempts SET status = 'cancelled', finished_at = ?, error = ?
        WHERE run_id = ? AND status = 'running'`),
      zeroOpen: p(`UPDATE runs SET open_steps = 0 WHERE id = ?`),
      upsertRollback: p(`INSERT INTO steps (run_id, id, kind, target, status, deps_unmet, depends_on, ready_at, ord)
          VALUES (?, ?, 'rollback', ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, deps_unmet = excluded.deps_unmet,
          deps_not_ok = 0, depends_on = excluded.depends_on, ready_at = excluded.ready_at, failures = 0,
          started_at = NULL, finished_at = NULL, exit_code = NULL, error = NULL, outputs = NULL`),
      addOpen: p(`UPDATE runs SET open_steps = open_steps + ? WHERE id = ?`),
      maxOrd: p(`SELECT COALESCE(MAX(ord), 0) AS m FROM steps WHERE run_id = ?`),
      setRunStatus: p(`UPDATE runs SET status = ?, error = ?, then_status = ?, wake_at = ?,
          finished_at = CASE WHEN ? IN ('succeeded', 'failed', 'cancelled', 'timed_out') THEN ? ELSE NULL END
        WHERE id = ? AND status IN (SELECT value FROM json_each(?)) RETURNING id`),
      poolsOf: p(`SELECT DISTINCT pool FROM steps WHERE run_id = ? AND pool IS NOT NULL`),
      setResult: p(`UPDATE run_payloads SET result = ? WHERE run_id = ?`),
      resetSteps: p(`UPDATE steps SET status = 'pending', failures = 0, exit_code = NULL, error = NULL, outputs = NULL,
          started_at = NULL, finished_at = NULL, ready_at = NULL, deps_not_ok = 0, completed_seq = NULL
        WHERE run_id = ? AND kind = 'task' AND status IN ('failed', 'skipped', 'cancelled', 'compensated')
        RETURNING id`),
      resetJournal: p(`UPDATE steps SET status = 'ready', failures = 0, error = NULL, result = NULL, ready_at = NULL,
          finished_at = NULL, completed_seq = NULL
        WHERE run_id = ? AND kind NOT IN ('task', 'rollback', 'value')
          AND status IN ('failed', 'cancelled', 'compensated', 'waiting', 'running', 'retrying')
        RETURNING id`),
      recount: p(`UPDATE steps SET deps_unmet = (
            SELECT count(*) FROM step_edges e JOIN steps d ON d.run_id = e.run_id AND d.id = e.dep_id
            WHERE e.run_id = steps.run_id AND e.step_id = steps.id AND d.status <> 'succeeded')
        WHERE run_id = ? AND status = 'pending'`),
      readyUnblocked: p(`UPDATE steps SET status = CASE WHEN pool IS NULL THEN 'ready' ELSE 'queued' END, ready_at = ?
        WHERE run_id = ? AND status = 'pending' AND deps_unmet = 0 RETURNING pool`),
      runGates: p(`SELECT gates, priority FROM runs WHERE id = ?`),
      reopenRun: p(`UPDATE runs SET status = ?, run_attempt = run_attempt + 1, finished_at = NULL, error = NULL,
          then_status = NULL, started_at = ?,
          owner = ?, open_steps = ? WHERE id = ?`),
    };
  }

  /** Flow control's reads and pool changes (see Admission). */
  get flow(): Admission {
    return this.admission;
  }

  private st(name: string): Statement {
    return this.s[name] as Statement;
  }

  /**
   * The claim of at most `limit` steps. SQLite's planner reads a value bound
   * to LIMIT, and then compiles the statement again every time that parameter
   * is bound, that is at every claim; so each limit gets its own statement,
   * prepared once, with the limit (an integer checked here) in its text.
   */
  private claimStatement(which: keyof typeof CLAIM, limit: number): Statement {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`a claim's limit must be a whole number, got ${limit}`);
    const key = `${which}:${limit}`;
    let statement = this.claims.get(key);
    if (!statement) {
      statement = this.db.prepare(CLAIM[which](limit));
      if (this.claims.size < 256) this.claims.set(key, statement);
    }
    return statement;
  }

  event(runId: string, type: string, stepId?: string | null, attempt?: number | null, data?: Record<string, unknown> | null): void {
    this.st('insertEvent').run(runId, this.clock.now(), type, stepId ?? null, attempt ?? null, data ? JSON.stringify(data) : null);
  }

  createRun(run: NewRun, owner: string | null): void {
    const now = this.clock.now();
    const timeoutMs = run.definition.timeoutMs;
    const gated = (run.gates?.length ?? 0) > 0;
    const priority = run.priority ?? 0;
    this.st('insertRun').run(run.id, run.workflow, gated ? 'queued' : 'running', now, gated ? null : now, owner, run.steps.length, run.parentId ?? null, isCodeRef(run.definition) ? 'code' : 'file', timeoutMs !== undefined ? now + timeoutMs : null, priority, gated ? JSON.stringify(run.gates) : null, startedBy(run));
    this.st('insertPayload').run(run.id, JSON.stringify(run.input), JSON.stringify(run.definition));
    const insertStep = this.st('insertStep');
    const insertEdge = this.st('insertEdge');
    const pools: string[] = [];
    run.steps.forEach((step, i) => {
      const deps = new Set(step.dependsOn);
      const root = deps.size === 0;
      const status = !root || gated ? 'pending' : step.pool === undefined ? 'ready' : 'queued';
      if (status === 'queued') pools.push(step.pool!);
      insertStep.run(run.id, step.id, status, deps.size, JSON.stringify([...deps]), root ? Math.max(now, run.notBefore ?? now) : null, i, step.pool ?? null, step.priority ?? priority);
      for (const dep of deps) insertEdge.run(run.id, dep, step.id);
    });
    if (!gated) {
      this.event(run.id, 'run:started', null, null, { workflow: run.workflow, steps: run.steps.length });
      this.admission.admitPools(pools, now);
    } else if (!this.admission.queueRun(run.id, run.gates!, priority, now)) {
      this.event(run.id, 'run:queued', null, null, { workflow: run.workflow, steps: run.steps.length, gates: run.gates!.map((g) => g.key) });
    }
  }

  takeRun(runId: string, owner: string): string | null {
    const row = this.st('runOwner').get(runId) as { owner: string | null } | undefined;
    this.st('takeRun').run(owner, runId);
    return row?.owner ?? null;
  }

  claim(req: ClaimRequest): Claim[] {
    const now = this.clock.now();
    const rows = this.claimStatement('one', req.limit).all(req.owner, now + req.leaseMs, now, req.runId, now) as ClaimedRecord[];
    const insertAttempt = this.st('insertAttempt');
    return rows.map((r) => {
      insertAttempt.run(req.runId, r.id, r.attempt, req.owner, now);
      this.event(req.runId, 'step:started', r.id, r.attempt, null);
      const claim: Claim = {
        runId: req.runId,
        stepId: r.id,
        kind: r.kind as Claim['kind'],
        attempt: r.attempt,
        epoch: r.epoch,
        failures: r.failures,
        depsNotOk: r.deps_not_ok,
      };
      if (r.target !== null) claim.target = r.target;
      return claim;
    });
  }

  claimAny(req: Omit<ClaimRequest, 'runId'>): Claim[] {
    const now = this.clock.now();
    const rows = this.claimStatement('any', req.limit).all(req.owner, now + req.leaseMs, now, now) as Array<ClaimedRecord & { run_id: string }>;
    const insertAttempt = this.st('insertAttempt');
    return rows.map((r) => {
      insertAttempt.run(r.run_id, r.id, r.attempt, req.owner, now);
      this.event(r.run_id, 'step:started', r.id, r.attempt, null);
      const claim: Claim = { runId: r.run_id, stepId: r.id, kind: r.kind as Claim['kind'], attempt: r.attempt, epoch: r.epoch, failures: r.failures, depsNotOk: r.deps_not_ok };
      if (r.target !== null) claim.target = r.target;
      return claim;
    });
  }

  /** Earliest time a waiting step of a run submitted for workers is due, or null. */
  nextDueAny(): number | null {
    return (this.st('nextDueAny').get() as { due: number | null }).due;
  }

  leasedSteps(owner: string): Claim[] {
    return (this.st('leasedSteps').all(owner) as Array<ClaimedRecord & { run_id: string }>).map((r) => {
      const claim: Claim = { runId: r.run_id, stepId: r.id, kind: r.kind as Claim['kind'], attempt: r.attempt, epoch: r.epoch, failures: r.failures, depsNotOk: r.deps_not_ok };
      if (r.target !== null) claim.target = r.target;
      return claim;
    });
  }

  heartbeat(claims: readonly Claim[], leaseMs: number): Claim[] {
    const until = this.clock.now() + leaseMs;
    const hb = this.st('heartbeat');
    return claims.filter((c) => hb.run(until, c.runId, c.stepId, c.epoch).changes === 0);
  }

  finish(claim: Claim, outcome: AttemptOutcome): FinishResult {
    const now = this.clock.now();
    const { runId, stepId, attempt } = claim;
    let status: string;
    let exitCode: number | null = null;
    let error: string | null = null;
    let readyAt: number | null = null;
    let outputs: string | null = null;
    let failed = 0;
    if (outcome.status === 'succeeded') {
      status = 'succeeded';
      exitCode = outcome.exitCode ?? null;
      outputs = outcome.outputs ? JSON.stringify(outcome.outputs) : null;
    } else if (outcome.status === 'failed') {
      status = outcome.retryAt !== undefined ? 'retrying' : 'failed';
      exitCode = outcome.exitCode ?? null;
      error = outcome.error;
      readyAt = outcome.retryAt ?? null;
      outputs = outcome.outputs ? JSON.stringify(outcome.outputs) : null;
      failed = 1;
    } else {
      status = 'skipped';
      error = outcome.reason;
    }
    const row = this.st('finish').get(status, now, exitCode, outputs, error, failed, readyAt, status, runId, stepId, claim.epoch) as
      | { kind: string; target: string | null; pool: string | null }
      | undefined;
    if (!row) {
      const open = this.st('openSteps').get(runId) as { open_steps: number } | undefined;
      return { accepted: false, openSteps: open?.open_steps ?? 0 };
    }
    if (status === 'skipped') {
      this.st('deleteAttempt').run(runId, stepId, attempt);
      this.st('unclaimSkipped').run(runId, stepId);
      this.event(runId, 'step:skipped', stepId, null, { reason: error });
    } else {
      this.st('finishAttempt').run(status === 'succeeded' ? 'succeeded' : 'failed', now, exitCode, error, runId, stepId, attempt);
      const data: Record<string, unknown> = { exitCode };
      if (error !== null) data.error = error;
      if (readyAt !== null) data.retryAt = readyAt;
      this.event(runId, `step:${status}`, stepId, attempt, data);
    }
    if (status === 'retrying') {
      const open = this.st('openSteps').get(runId) as { open_steps: number };
      return { accepted: true, openSteps: open.open_steps };
    }
    if (row.kind === 'rollback' && status === 'succeeded' && row.target) this.st('compensate').run(runId, row.target);
    // A rollback chain goes on past a failed rollback: each undo is independent.
    const notOk = status === 'succeeded' || row.kind === 'rollback' ? 0 : 1;
    const released = this.st('release').all(notOk, now, runId, runId, stepId) as Array<{ pool: string | null }>;
    if (row.pool !== null || released.some((r) => r.pool !== null)) this.admission.admitPools([row.pool, ...released.map((r) => r.pool)], now);
    if (status === 'succeeded') {
      const open = this.st('closeSucceeded').get(runId) as { open_steps: number };
      return { accepted: true, openSteps: open.open_steps };
    }
    const open = this.st('closeStep').get(runId) as { open_steps: number };
    return { accepted: true, openSteps: open.open_steps };
  }

  recoverRun(runId: string): number {
    const now = this.clock.now();
    const rows = this.st('crashRunning').all(now, runId) as Array<{ id: string; attempt: number }>;
    for (const r of rows) this.crashed(runId, r.id, r.attempt, now, 'the process running it stopped');
    return rows.length;
  }

  sweepExpired(): number {
    const now = this.clock.now();
    const rows = this.st('expired').all(now) as Array<{ run_id: string; id: string }>;
    let n = 0;
    for (const r of rows) {
      const hit = this.st('crashOne').get(now, r.run_id, r.id, now) as { attempt: number } | undefined;
      if (!hit) continue;
      this.crashed(r.run_id, r.id, hit.attempt, now, 'lease expired');
      n++;
    }
    return n;
  }

  private crashed(runId: string, stepId: string, attempt: number, now: number, why: string): void {
    this.st('crashAttempt').run(now, why, runId, stepId, attempt);
    this.event(runId, 'step:crashed', stepId, attempt, { error: why });
  }

  cancelSteps(runId: string, reason: string): string[] {
    const now = this.clock.now();
    const running = (this.st('runningSteps').all(runId) as Array<{ id: string }>).map((r) => r.id);
    const rows = this.st('cancelSteps').all(now, reason, runId) as Array<{ id: string; pool: string | null }>;
    this.st('cancelAttempts').run(now, reason, runId);
    this.st('zeroOpen').run(runId);
    this.admission.admitPools(rows.map((r) => r.pool), now);
    if (rows.length > 0) this.event(runId, 'steps:cancelled', null, null, { steps: rows.length, reason });
    return running;
  }

  addRollbacks(runId: string, targets: readonly string[]): void {
    const now = this.clock.now();
    let ord = (this.st('maxOrd').get(runId) as { m: number }).m;
    let previous: string | null = null;
    for (const target of targets) {
      const id = `${target}.rollback`;
      const deps = previous ? [previous] : [];
      this.st('upsertRollback').run(runId, id, target, previous ? 'pending' : 'ready', deps.length, JSON.stringify(deps), previous ? null : now, ++ord);
      if (previous) this.st('insertEdge').run(runId, previous, id);
      previous = id;
    }
    this.st('addOpen').run(targets.length, runId);
    this.event(runId, 'run:compensating', null, null, { rollbacks: targets });
  }

  setRunStatus(runId: string, from: readonly string[], to: string, f: RunResultFields): boolean {
    const now = this.clock.now();
    const row = this.st('setRunStatus').get(to, f.error ?? null, f.thenStatus ?? null, f.wakeAt ?? null, to, now, runId, JSON.stringify(from));
    if (!row) return false;
    if (f.result !== undefined) this.st('setResult').run(f.result, runId);
    const data: Record<string, unknown> = {};
    if (f.error) data.error = f.error;
    if (f.wakeAt) data.until = f.wakeAt;
    this.event(runId, `run:${to}`, null, null, Object.keys(data).length > 0 ? data : null);
    if (isFinalRun(to as RunStatus)) this.admission.releaseRun(runId, now);
    return true;
  }

  resetForRetry(runId: string, owner: string | null): string[] {
    const now = this.clock.now();
    const reset = (this.st('resetSteps').all(runId) as Array<{ id: string }>).map((r) => r.id);
    for (const r of this.st('resetJournal').all(runId) as Array<{ id: string }>) reset.push(r.id);
    this.st('recount').run(runId);
    const { gates, priority } = this.st('runGates').get(runId) as { gates: string | null; priority: number };
    this.st('reopenRun').run(gates ? 'queued' : 'running', now, owner, reset.length, runId);
    this.event(runId, 'run:retried', null, null, { steps: reset });
    if (gates) {
      if (!this.admission.queueRun(runId, JSON.parse(gates) as RunGate[], priority, now)) this.event(runId, 'run:queued', null, null, { gates: (JSON.parse(gates) as RunGate[]).map((g) => g.key) });
    } else {
      const pools = (this.st('readyUnblocked').all(now, runId) as Array<{ pool: string | null }>).map((r) => r.pool);
      this.admission.admitPools(pools, now);
    }
    return reset;
  }
}
