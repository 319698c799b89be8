/**
 * @module store/sqlite/admission
 * Flow control on SQLite (core/flow.ts): runs that pass concurrency gates,
 * steps that take pool slots. Each method runs inside the caller's write
 * transaction, so the counts it reads and the admissions it writes are one
 * atomic step (SQLite has one writer: no lock beyond the transaction).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { FlowView, GateView, PoolView, RunGate } from '../../core/flow.js';

type Event = (runId: string, type: string, stepId?: string | null, attempt?: number | null, data?: Record<string, unknown> | null) => void;

export class Admission {
  private readonly s: Record<string, Statement>;

  constructor(
    db: Database,
    private readonly event: Event,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertGate: p(`INSERT OR REPLACE INTO run_gates (gate, run_id, lim, held, priority, queued_at) VALUES (?, ?, ?, 0, ?, ?)`),
      queue: p(`SELECT run_id FROM run_gates WHERE gate = ? AND held = 0 ORDER BY priority DESC, queued_at, run_id LIMIT ?`),
      gatesOf: p(`SELECT gate, lim FROM run_gates WHERE run_id = ?`),
      heldCount: p(`SELECT count(*) AS n FROM run_gates WHERE gate = ? AND held = 1`),
      hold: p(`UPDATE run_gates SET held = 1 WHERE run_id = ?`),
      drop: p(`DELETE FROM run_gates WHERE run_id = ? RETURNING gate`),
      startRun: p(`UPDATE runs SET status = 'running', started_at = ?, deadline = deadline - created_at + ? WHERE id = ? AND status = 'queued'`),
      readyRoots: p(`UPDATE steps SET status = CASE WHEN pool IS NULL THEN 'ready' ELSE 'queued' END, ready_at = max(?, COALESCE(ready_at, 0))
        WHERE run_id = ? AND status = 'pending' AND deps_unmet = 0 RETURNING pool`),
      slots: p(`SELECT slots FROM pools WHERE name = ?`),
      used: p(`SELECT count(*) AS n FROM steps WHERE pool = ? AND status IN ('ready', 'running', 'retrying')`),
      upsertPool: p(`INSERT INTO pools (name, slots) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET slots = excluded.slots`),
      deletePool: p(`DELETE FROM pools WHERE name = ?`),
      poolNames: p(`SELECT name FROM pools UNION SELECT DISTINCT pool FROM steps WHERE pool IS NOT NULL AND status IN ('queued', 'ready', 'running', 'retrying') ORDER BY 1`),
      queuedCount: p(`SELECT count(*) AS n FROM steps WHERE pool = ? AND status = 'queued'`),
      runGateViews: p(`SELECT g.gate, g.lim, (SELECT count(*) FROM run_gates h WHERE h.gate = g.gate AND h.held = 1) AS held,
          (SELECT count(*) FROM run_gates q WHERE q.gate = g.gate AND q.held = 0) AS queued
        FROM run_gates g WHERE g.run_id = ? ORDER BY g.gate`),
      queuedSteps: p(`SELECT id, pool FROM steps WHERE run_id = ? AND status = 'queued' ORDER BY ord`),
      admitSteps: p(`UPDATE steps SET status = 'ready', ready_at = ?
        WHERE (run_id, id) IN (SELECT run_id, id FROM steps WHERE pool = ? AND status = 'queued'
          ORDER BY priority DESC, ready_at, run_id, ord LIMIT ?)
        RETURNING run_id, id`),
    };
  }

  private st(name: string): Statement {
    return this.s[name] as Statement;
  }

  /** Queue a run behind its gates (it is in status queued), then admit what fits. */
  queueRun(runId: string, gates: readonly RunGate[], priority: number, now: number): boolean {
    for (const g of gates) this.st('insertGate').run(g.key, runId, g.limit, priority, now);
    return this.admitRuns(gates.map((g) => g.key), now).includes(runId);
  }

  /**
   * Start queued runs of these gates while every gate of theirs has room,
   * highest priority then oldest first. A run blocked by another of its
   * gates is passed over (the next may fit). Returns the runs started.
   */
  admitRuns(gates: readonly string[], now: number): string[] {
    const held = new Map<string, number>();
    const count = (gate: string): number => {
      let n = held.get(gate);
      if (n === undefined) held.set(gate, (n = (this.st('heldCount').get(gate) as { n: number }).n));
      return n;
    };
    const admitted: string[] = [];
    const tried = new Set<string>();
    for (const gate of new Set(gates)) {
      // Candidates in pages: most gates admit one or two runs when one ends.
      for (let page = 16; ; page *= 4) {
        const rows = this.st('queue').all(gate, page) as Array<{ run_id: string }>;
        let full = false;
        for (const { run_id } of rows) {
          if (tried.has(run_id)) continue;
          tried.add(run_id);
          const mine = this.st('gatesOf').all(run_id) as Array<{ gate: string; lim: number }>;
          const limitHere = mine.find((g) => g.gate === gate)?.lim ?? 0;
          if (count(gate) >= limitHere) {
            full = true;
            break;
          }
          if (mine.some((g) => count(g.gate) >= g.lim)) continue;
          for (const g of mine) held.set(g.gate, count(g.gate) + 1);
          this.st('hold').run(run_id);
          this.startRun(run_id, now);
          admitted.push(run_id);
        }
        if (full || rows.length < page) break;
      }
    }
    return admitted;
  }

  private startRun(runId: string, now: number): void {
    this.st('startRun').run(now, now, runId);
    this.event(runId, 'run:started', null, null, { admitted: true });
    const pools = (this.st('readyRoots').all(now, runId) as Array<{ pool: string | null }>).map((r) => r.pool);
    this.admitPools(pools, now);
  }

  /** A run ended: its gates free a slot each, and the next queued runs start. */
  releaseRun(runId: string, now: number): string[] {
    const gates = (this.st('drop').all(runId) as Array<{ gate: string }>).map((r) => r.gate);
    return gates.length > 0 ? this.admitRuns(gates, now) : [];
  }

  setPool(name: string, slots: number | null, now: number): void {
    if (slots === null) this.st('deletePool').run(name);
    else this.st('upsertPool').run(name, slots);
    this.admitPools([name], now);
  }

  pool(name: string): PoolView {
    const def = this.st('slots').get(name) as { slots: number } | undefined;
    return { name, slots: def?.slots ?? null, used: (this.st('used').get(name) as { n: number }).n, queued: (this.st('queuedCount').get(name) as { n: number }).n };
  }

  pools(): PoolView[] {
    return (this.st('poolNames').all() as Array<{ name: string }>).map((r) => this.pool(r.name));
  }

  flow(runId: string): FlowView {
    const gates = (this.st('runGateViews').all(runId) as Array<{ gate: string; lim: number; held: number; queued: number }>).map(
      (g): GateView => ({ key: g.gate, limit: g.lim, held: g.held, queued: g.queued }),
    );
    const views = new Map<string, PoolView>();
    const steps = (this.st('queuedSteps').all(runId) as Array<{ id: string; pool: string }>).map((r) => {
      let view = views.get(r.pool);
      if (!view) views.set(r.pool, (view = this.pool(r.pool)));
      return { stepId: r.id, pool: view };
    });
    return { gates, steps };
  }

  /** Give free slots of these pools to their queued steps, highest priority then oldest first. */
  admitPools(pools: ReadonlyArray<string | null>, now: number): number {
    let admitted = 0;
    for (const pool of new Set(pools)) {
      if (pool === null) continue;
      const def = this.st('slots').get(pool) as { slots: number } | undefined;
      if (!def) continue;
      const free = def.slots - (this.st('used').get(pool) as { n: number }).n;
      if (free <= 0) continue;
      admitted += this.st('admitSteps').all(now, pool, free).length;
    }
    return admitted;
  }
}
