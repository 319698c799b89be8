/**
 * @module triggers/scheduler
 * Fires the schedules of a server's workflows. Each due time is claimed in
 * the store by its key (workflow, schedule, due time), so with several
 * servers on one database each fire happens once. Fires missed while no
 * server ran follow the schedule's catch-up policy; a fire that comes while
 * an earlier run of the workflow is going follows its overlap policy. The
 * scheduler sleeps until the next due time (no polling loop), and wakes when
 * a run ends (a queued fire may start) or a schedule is paused or resumed.
 */
import { quietUntil, type QuietHoursDef } from '../core/quiet-hours.js';
import { isFinalRun } from '../core/states.js';
import type { FireOutcome, ScheduleDef } from '../core/schedule.js';
import type { Engine } from '../engine/engine.js';
import { fireRunId, firesBetween, jitterOf, nextFire } from './fires.js';

export interface ScheduledWorkflow {
  workflow: string;
  schedules: ScheduleDef[];
}

export interface SchedulerDeps {
  engine: Engine;
  workflows: ScheduledWorkflow[];
  /**
   * Start a run of the workflow with this input and run id (the fire's: the
   * same on every try). A run that already exists under that id (a try
   * before this one got that far) is not an error: nothing new starts.
   */
  submit(workflow: string, input: Record<string, unknown>, trigger: { schedule: string; dueAt: number; runId: string; notBefore?: number }): Promise<string>;
  /** The workflow's quiet hours: a fire in them is deferred to their end, or skipped. */
  quietHoursOf?: (workflow: string) => QuietHoursDef | undefined;
  /** Stop a run (cancel-previous). */
  cancel(runId: string, reason: string): Promise<void>;
  onWarning?: (message: string) => void;
  /** A fire started its run (for the schedule-lag metric). */
  onFired?: (workflow: string, schedule: string, dueAt: number, startedAt: number) => void;
}

/** A fire left `firing` this long was claimed by a server that died before it finished. */
export const STALE_MS = 10_000;

/** A due time more than this late was missed (the server was down), not just served a little late... */
export const LATE_MS = 60_000;

/** ...or more than half its period, for a schedule that fires more often than every two minutes. */
function lateAfter(s: ScheduleDef, due: number): number {
  const next = nextFire(s, due);
  return next === undefined ? LATE_MS : Math.min(LATE_MS, Math.max(500, (next - due) / 2));
}

/**
 * Which of the due times found at `now` fire: those not late (see lateAfter;
 * one that came while this scheduler ran, since `upSince`, is late only
 * after a minute: served a little late under load is not missed), and of the missed ones what the catch-up
 * policy keeps (none; the latest, unless one is on time; the newest `max`).
 * The rest are skipped.
 */
export function catchUp(s: ScheduleDef, due: readonly number[], now: number, upSince = now): { fire: number[]; skip: number[] } {
  const late = (d: number) => now - d > (d >= upSince ? LATE_MS : lateAfter(s, d));
  const missed = due.filter(late);
  const keep = new Set(due.filter((d) => !late(d)));
  if (s.catchUp.policy === 'latest' && keep.size === 0 && missed.length > 0) keep.add(missed.at(-1) as number);
  if (s.catchUp.policy === 'all') for (const d of missed.slice(-s.catchUp.max)) keep.add(d);
  return { fire: due.filter((d) => keep.has(d)), skip: due.filter((d) => !keep.has(d)) };
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The look in progress, so stop() can wait for a fire it already claimed to be recorded. */
  private looking: Promise<void> = Promise.resolve();
  private again = false;
  private stopped = false;
  private startedAt: number;
  private offs: Array<() => void> = [];

  constructor(private readonly deps: SchedulerDeps) {
    this.startedAt = deps.engine.clockNow;
  }

  start(): void {
    // Up from here: a due time after this is served however late the machine makes it.
    this.startedAt = this.deps.engine.clockNow;
    this.offs.push(this.deps.engine.on('run:finished', () => this.wake()));
    this.wake();
  }

  /** Claim nothing more; resolves once a fire already claimed has its run and its outcome written. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const off of this.offs) off();
    return this.looking;
  }

  /** Look now (a run ended, a schedule was paused, resumed or triggered). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.looking = this.tick()
      .catch((error: unknown) => this.deps.onWarning?.(`schedules: ${(error as Error).message}`))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Look now and wait until done (tests on a virtual clock; wake() does the same without waiting). */
  async check(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    this.running = true;
    try {
      await this.tick();
    } finally {
      this.running = false;
    }
  }

  /** Fire one schedule now, as if due (overlap policy applies). */
  async trigger(workflow: string, schedule: ScheduleDef): Promise<{ outcome: FireOutcome; runId: string | null }> {
    const now = this.deps.engine.clockNow;
    const store = this.deps.engine.store;
    if (!(await store.claimFire({ workflow, schedule: schedule.id, dueAt: now, claimedAt: now, outcome: 'firing', runId: null }))) {
      return { outcome: 'skipped:overlap', runId: null };
    }
    return this.fire(workflow, schedule, now);
  }

  private async tick(): Promise<void> {
    const store = this.deps.engine.store;
    const now = this.deps.engine.clockNow;
    const states = new Map((await store.scheduleStates()).map((s) => [`${s.workflow}\u0000${s.schedule}`, s]));
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const { workflow, schedules } of this.deps.workflows) {
      for (const s of schedules) {
        if (this.stopped) return;
        const state = states.get(`${workflow}\u0000${s.id}`);
        if (state?.paused) continue;
        // Never fired: nothing before this server's start is missed. Resumed: the paused time is not caught up.
        const after = Math.max((await store.lastFire(workflow, s.id)) ?? this.startedAt - 1, state ? state.changedAt - 1 : Number.NEGATIVE_INFINITY);
        const due = firesBetween(s, after, now, 100_000).filter((d) => d + jitterOf(s, workflow, d) <= now);
        if (due.length > 0) await this.handle(workflow, s, due, now);
        await this.retakeStale(workflow, s, now);
        await this.startQueued(workflow, s);
        const next = nextFire(s, Math.max(now, due.at(-1) ?? now));
        if (next !== undefined) wakeAt = Math.min(wakeAt, next + jitterOf(s, workflow, next));
      }
    }
    clearTimeout(this.timer);
    if (!this.stopped && Number.isFinite(wakeAt)) {
      this.timer = setTimeout(() => this.wake(), Math.min(Math.max(0, wakeAt - this.deps.engine.clockNow), 2 ** 31 - 1));
    }
  }

  /** Due times in order: the missed ones per the catch-up policy, then each fire (claimed first). */
  private async handle(workflow: string, s: ScheduleDef, due: number[], now: number): Promise<void> {
    const keep = new Set(catchUp(s, due, now, this.startedAt).fire);
    const store = this.deps.engine.store;
    for (const d of due) {
      if (this.stopped) return;
      const fires = keep.has(d);
      if (!(await store.claimFire({ workflow, schedule: s.id, dueAt: d, claimedAt: now, outcome: fires ? 'firing' : 'skipped:catch-up', runId: null }))) continue;
      if (fires) await this.fire(workflow, s, d);
    }
  }

  /** A claimed fire: the overlap policy decides whether it starts a run now, waits, or is skipped. */
  private async fire(workflow: string, s: ScheduleDef, dueAt: number): Promise<{ outcome: FireOutcome; runId: string | null }> {
    const store = this.deps.engine.store;
    const active = await this.activeRuns(workflow);
    if (active.length > 0) {
      if (s.overlap.policy === 'skip') {
        await store.updateFire(workflow, s.id, dueAt, 'firing', 'skipped:overlap', null);
        return { outcome: 'skipped:overlap', runId: null };
      }
      if (s.overlap.policy === 'queue') {
        const waiting = (await store.listFires(workflow, s.id, 1000)).filter((f) => f.outcome === 'queued').length;
        const outcome: FireOutcome = waiting >= s.overlap.max ? 'skipped:queue-full' : 'queued';
        await store.updateFire(workflow, s.id, dueAt, 'firing', outcome, null);
        return { outcome, runId: null };
      }
      if (s.overlap.policy === 'cancel-previous') for (const id of active) await this.deps.cancel(id, `cancelled by schedule ${s.id}: a new run was due`);
    }
    const quiet = this.deps.quietHoursOf?.(workflow);
    const until = quietUntil(quiet, this.deps.engine.clockNow);
    if (until !== undefined && quiet?.action === 'skip') {
      await store.updateFire(workflow, s.id, dueAt, 'firing', 'skipped:quiet', null);
      return { outcome: 'skipped:quiet', runId: null };
    }
    const trigger = { schedule: s.id, dueAt, runId: fireRunId(workflow, s.id, dueAt), ...(until !== undefined ? { notBefore: until } : {}) };
    const runId = await this.deps.submit(workflow, s.input, trigger);
    this.deps.onFired?.(workflow, s.id, dueAt, this.deps.engine.clockNow);
    await store.updateFire(workflow, s.id, dueAt, 'firing', 'fired', runId);
    return { outcome: 'fired', runId };
  }

  /** A fire its server claimed but never finished (it died): another takes it over; the fire's run id keeps it one run. */
  private async retakeStale(workflow: string, s: ScheduleDef, now: number): Promise<void> {
    const store = this.deps.engine.store;
    for (const f of await store.listFires(workflow, s.id, 50)) {
      if (f.outcome !== 'firing' || f.claimedAt >= now - STALE_MS) continue;
      if (await store.retakeFire(workflow, s.id, f.dueAt, now - STALE_MS, now)) await this.fire(workflow, s, f.dueAt);
    }
  }

  /** The oldest queued fire starts once no run of the workflow is going. */
  private async startQueued(workflow: string, s: ScheduleDef): Promise<void> {
    if (s.overlap.policy !== 'queue') return;
    const store = this.deps.engine.store;
    const queued = (await store.listFires(workflow, s.id, 1000)).filter((f) => f.outcome === 'queued');
    const oldest = queued.at(-1);
    if (!oldest || (await this.activeRuns(workflow)).length > 0) return;
    if (!(await store.updateFire(workflow, s.id, oldest.dueAt, 'queued', 'firing', null))) return;
    const runId = await this.deps.submit(workflow, s.input, { schedule: s.id, dueAt: oldest.dueAt, runId: fireRunId(workflow, s.id, oldest.dueAt) });
    this.deps.onFired?.(workflow, s.id, oldest.dueAt, this.deps.engine.clockNow);
    await store.updateFire(workflow, s.id, oldest.dueAt, 'firing', 'fired', runId);
  }

  private async activeRuns(workflow: string): Promise<string[]> {
    return (await this.deps.engine.store.listRuns({ workflow, limit: 200 })).filter((r) => !isFinalRun(r.status)).map((r) => r.id);
  }
}
