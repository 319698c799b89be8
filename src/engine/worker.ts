/**
 * @module engine/worker
 * A worker executes ready steps of any file run in a shared store, next to
 * other workers on other machines. It claims up to its concurrency (FOR
 * UPDATE SKIP LOCKED on PostgreSQL), runs each step, records the outcome
 * with the claim's epoch (a worker that lost its lease records nothing), and
 * settles a run when its last open step ends. It wakes on the store's
 * notifications, at the next retry's due time, and on a slow poll as a
 * fallback; it heartbeats its leases and sweeps expired ones (a crashed
 * worker's steps go back to ready, their attempt recorded crashed).
 *
 * It lists itself in the store's worker registry (core/workers): registered
 * at start, seen at each heartbeat (in the leases' round trip), stopped when
 * `run` returns.
 *
 * Code runs are taken whole (worker-code-runs.ts).
 */
import type { AttemptOutcome, Claim, FinishResult } from '../store/store.js';
import type { Engine } from './engine.js';
import { SlotPools } from './slot-pool.js';
import { stepFinished } from './step-event.js';
import { StepAbort } from './step-abort.js';
import { ClaimAhead } from './claim-ahead.js';
import { giveBack, overdue, type Held } from './give-back.js';
import { DueTimer } from './wakeup.js';
import { WorkerRegistration } from './worker-registration.js';
import { WorkerCodeRuns } from './worker-code-runs.js';
import { WorkerRunContexts, type RunContext } from './worker-run-contexts.js';
import { WORKER_DEFAULTS, type WorkerOptions } from './worker-options.js';

export { WORKER_DEFAULTS, type WorkerOptions } from './worker-options.js';

interface Finished {
  claim: Claim;
  outcome: AttemptOutcome;
  ctx: RunContext | undefined;
}

/** Round trips to the store in flight at once: while one commits, the next is on its way. */
const PIPELINE = 2;

const keyOf = (c: Claim) => `${c.runId}\u0000${c.stepId}`;

export class Worker {
  /** Steps in hand: claimed ahead and waiting for a slot, executing, or ended and waiting for their outcome to be recorded. */
  private readonly running = new Map<string, Held>();
  /** The worker's slots (one pool of `concurrency`): steps claimed ahead wait here for one. */
  private readonly slots = new SlotPools();
  private readonly ahead: ClaimAhead;
  /** Outcomes to record in the next round trip (with the next claims). */
  private finished: Finished[] = [];
  private readonly codeRuns: WorkerCodeRuns;
  private readonly contexts: WorkerRunContexts;
  /** Round trips (finishes + claims) in flight, the slots their claims may fill, and the finishes they carry. */
  private inFlight = 0;
  private reserved = 0;
  private finishing = 0;
  /** The check for claims never learned of is in flight (alone: no round trip may claim meanwhile). */
  private adopting = false;
  private again = false;
  private adoptDue = false;
  /** Work after recorded finishes (settling runs, failFast) still going. */
  private readonly after = new Set<Promise<void>>();
  private stopping = false;
  private readonly due: DueTimer;
  private readonly leaseMs: number;
  private readonly ttlMs: number;
  private idleWaiters: Array<() => void> = [];
  private readonly registration: WorkerRegistration;

  constructor(
    private readonly engine: Engine,
    private readonly opts: WorkerOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? WORKER_DEFAULTS.leaseMs;
    this.ttlMs = opts.claimAheadTtlMs ?? WORKER_DEFAULTS.claimAheadTtlMs;
    this.contexts = new WorkerRunContexts(engine, { concurrency: opts.concurrency, secretsFor: opts.secretsFor });
    this.ahead = new ClaimAhead(opts.concurrency, opts.claimAhead ?? WORKER_DEFAULTS.claimAhead);
    this.due = new DueTimer(engine.timerSource, () => this.pump());
    const { host, pid, version } = opts.identity ?? {};
    this.registration = new WorkerRegistration(engine.store, { id: engine.owner, host, pid, version, capacity: opts.concurrency, leaseMs: this.leaseMs }, (m) => this.warn(m));
    this.codeRuns = new WorkerCodeRuns(engine, { limit: opts.maxCodeRuns ?? opts.concurrency * 8, leaseMs: this.leaseMs, warn: (m) => this.warn(m) });
  }

  /** Work until `signal` aborts, then finish the steps in hand and return. */
  async run(signal: AbortSignal): Promise<void> {
    await this.registration.register();
    const store = this.engine.store;
    const unwatch = store.watch((runId) => {
      this.pump();
      this.codeRuns.pump();
      if (runId === undefined) return;
      // A run changed elsewhere (cancelled, timed out): its steps in hand learn it from their leases.
      const held = [...this.running.values()].filter((r) => r.claim.runId === runId).map((r) => r.claim);
      if (held.length > 0) void this.heartbeat(held);
      if (this.codeRuns.has(runId)) void this.codeRuns.check(runId);
    });
    const poll = setInterval(() => {
      this.pump();
      this.codeRuns.pump();
    }, this.opts.pollMs ?? 2000);
    const beat = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs ?? Math.max(500, Math.floor(this.leaseMs / 3)));
    const sweep = setInterval(() => void this.sweep(), this.opts.sweepMs ?? WORKER_DEFAULTS.sweepMs);
    const giving = setInterval(() => void this.giveBack(), this.ttlMs / 2);
    void this.sweep();
    this.pump();
    this.codeRuns.pump();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.stopping = true;
    clearInterval(poll);
    clearInterval(beat);
    clearInterval(sweep);
    clearInterval(giving);
    this.due.clear();
    unwatch();
    // What waits for a slot goes to other workers now rather than after the steps running here.
    await this.giveBack(0);
    await this.drained();
    await this.codeRuns.release();
    await this.registration.stop();
  }

  /** Work was added or changed here (a run submitted, retried, cancelled): look now rather than at the next notification. */
  poke(): void {
    this.pump();
    this.codeRuns.pump();
  }

  /** Steps in hand. */
  get busy(): number {
    return this.running.size;
  }

  private drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Round trips to the store: the outcomes recorded since the last one, and
   * claims for the slots free after them, in one call (a chain step's finish
   * releases the next step and claims it in the same call). Up to PIPELINE
   * are in flight at once; meanwhile finishes queue up for the next. Slots a
   * call in flight may fill are reserved until it answers.
   */
  private pump(): void {
    if (this.adopting || this.inFlight >= PIPELINE) {
      this.again = true;
      return;
    }
    if (this.adoptDue && !this.stopping) {
      if (this.inFlight > 0) {
        this.again = true;
        return;
      }
      this.adoptDue = false;
      this.adopting = true;
      void this.adopt().finally(() => {
        this.adopting = false;
        this.cycled();
      });
      return;
    }
    const finishes = this.finished;
    // Steps in hand, less those whose finishes are queued or on their way, against what the hand holds.
    const inUse = this.running.size - finishes.length - this.finishing;
    const limit = this.stopping ? 0 : Math.max(0, this.opts.concurrency + this.ahead.extra - inUse - this.reserved);
    if (finishes.length === 0 && limit === 0) return this.checkIdle();
    this.finished = [];
    this.inFlight++;
    this.reserved += limit;
    this.finishing += finishes.length;
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      this.reserved -= limit;
      this.finishing -= finishes.length;
    };
    const store = this.engine.store;
    const sent = performance.now();
    store
      .stepBatch({ finishes: finishes.map(({ claim, outcome }) => ({ claim, outcome })), claim: { owner: this.engine.owner, limit, leaseMs: this.leaseMs } })
      .then((result) => {
        answer();
        this.ahead.tripTook(performance.now() - sent);
        finishes.forEach((f, i) => this.recorded(f, result.finished[i] ?? { accepted: false, openSteps: 0 }));
        this.settleEnded(finishes, result.finished);
        for (const claim of result.claims) this.start(claim);
        if (limit > 0 && result.claims.length === limit) this.again = true;
        else if (result.nextDue !== null) this.due.armAt(Math.max(result.nextDue, this.engine.clockNow + 5));
      })
      .catch(async (error: unknown) => {
        answer();
        this.warn(`recording outcomes and claiming failed: ${(error as Error).message}`);
        // One at a time, so that one outcome the store refuses does not hold back the others.
        const results: FinishResult[] = [];
        for (const f of finishes) {
          const r = await store.finishStep(f.claim, f.outcome).catch((e: unknown) => {
            this.warn(`recording ${f.claim.runId}/${f.claim.stepId} failed: ${(e as Error).message}`);
            return { accepted: false, openSteps: -1 };
          });
          this.recorded(f, r);
          results.push(r);
        }
        this.settleEnded(finishes, results);
      })
      .finally(() => {
        this.inFlight--;
        this.cycled();
      });
  }

  private cycled(): void {
    if (this.again || this.finished.length > 0) {
      this.again = false;
      this.pump();
    }
    this.checkIdle();
  }

  /** Claims this worker holds in the store but never learned of (its connection dropped as they committed): run them. */
  private async adopt(): Promise<void> {
    try {
      for (const claim of await this.engine.store.leasedSteps(this.engine.owner)) {
        if (this.running.has(keyOf(claim))) continue;
        this.warn(`step ${claim.runId}/${claim.stepId} was claimed for this worker without its knowing; running it now`);
        this.start(claim);
      }
    } catch (error) {
      this.warn(`checking claims failed: ${(error as Error).message}`);
    }
  }

  /** An outcome the store answered for: the step leaves this worker's hands. */
  private recorded(f: Finished, result: FinishResult): void {
    this.running.delete(keyOf(f.claim));
    if (!result.accepted) return;
    const { claim, outcome } = f;
    this.engine.report('step:finished', stepFinished(claim, outcome, this.engine.clockNow));
    if (outcome.status === 'failed' && outcome.retryAt !== undefined) this.due.armAt(outcome.retryAt);
  }

  /** Runs whose last open step a batch ended settle (once each); a failFast failure cancels its run. */
  private settleEnded(finishes: readonly Finished[], results: readonly FinishResult[]): void {
    const done = new Map<string, RunContext>();
    finishes.forEach(({ claim, outcome, ctx }, i) => {
      const r = results[i];
      if (!ctx || !r?.accepted) return;
      if (outcome.status === 'failed' && outcome.retryAt === undefined && claim.kind === 'task' && ctx.def.failFast) {
        const reason = `failFast: task ${claim.stepId} failed`;
        this.later(async () => {
          await this.engine.store.cancelSteps(claim.runId, reason);
          await this.contexts.settle(claim.runId, ctx, { kind: 'failed', reason });
        });
      } else if (r.openSteps === 0) done.set(claim.runId, ctx);
    });
    for (const [runId, ctx] of done) this.later(() => this.contexts.settle(runId, ctx, undefined));
  }

  private later(fn: () => Promise<void>): void {
    const p = fn()
      .catch((error: unknown) => this.warn((error as Error).message))
      .finally(() => {
        this.after.delete(p);
        this.checkIdle();
      });
    this.after.add(p);
  }

  /** A step claimed: run when a slot is free (at once, unless it was claimed ahead). */
  private start(claim: Claim): void {
    const held: Held = { claim, abort: new StepAbort(), claimedAt: performance.now() };
    this.running.set(keyOf(claim), held);
    void this.slots.acquire('steps', this.opts.concurrency, held.abort).then(
      (release) => this.launch(held, release),
      () => (held.returning ? undefined : this.launch(held, undefined)),
    );
  }

  /**
   * Steps claimed ahead that waited `wait` ms for a slot go back to the store
   * for any worker (give-back.ts). One the store does not take back (its
   * lease was lost, its run cancelled), or that a failed call may not have
   * given back, is dropped all the same: it never ran here, and a lease left
   * lapses into a crashed attempt the sweeper retries.
   */
  private async giveBack(wait = this.ttlMs): Promise<void> {
    const { late, stuck } = overdue(this.running.values(), performance.now(), this.ttlMs, wait);
    this.ahead.stuck = stuck;
    if (late.length === 0) return;
    await giveBack(this.engine.store, late, (m) => this.warn(m));
    for (const h of late) this.running.delete(keyOf(h.claim));
    this.pump();
    this.checkIdle();
  }

  /** Without a slot (`release` undefined) the step's lease was lost while it waited: it is not run, and the store refuses its outcome. */
  private launch(held: Held, release: (() => void) | undefined): void {
    const { claim, abort } = held;
    const began = performance.now();
    held.startedAt = began;
    const done = release
      ? this.execute(claim, abort)
      : Promise.resolve<Finished>({ claim, ctx: undefined, outcome: { status: 'failed', error: 'lease lost before the step started' } });
    void done.then((f) => {
      held.ended = true;
      if (release) {
        release();
        this.ahead.stepTook(performance.now() - began);
      }
      this.finished.push(f);
      // Steps that end in the same turn of the event loop go in one round trip.
      if (this.finished.length === 1) setImmediate(() => this.pump());
    });
  }

  private async execute(claim: Claim, abort: StepAbort): Promise<Finished> {
    const ctx = await this.contexts.get(claim.runId).catch((error: unknown) => {
      this.warn(`run ${claim.runId}: ${(error as Error).message}`);
      return undefined;
    });
    if (!ctx) return { claim, ctx, outcome: { status: 'failed', error: `run ${claim.runId} cannot be executed by a worker (a code run, or its definition is missing)` } };
    ctx.users++;
    try {
      const started = () => this.engine.report('step:started', { runId: claim.runId, stepId: claim.stepId, kind: claim.kind, attempt: claim.attempt, at: this.engine.clockNow });
      const outcome = await ctx.executor.execute(claim, abort, started).catch((error: unknown): AttemptOutcome => ({ status: 'failed', error: (error as Error).message }));
      await ctx.sink.flush().catch((error: unknown) => this.warn(`logs of ${claim.runId}/${claim.stepId}: ${(error as Error).message}`));
      return { claim, ctx, outcome };
    } finally {
      ctx.users--;
    }
  }

  /**
   * Extend the leases in hand; a lost one (expired, or its run cancelled)
   * stops its step or its code run. The timer's beat (not `only`) also tells
   * the registry this worker is alive, in the same round trip.
   */
  private async heartbeat(only?: Claim[]): Promise<void> {
    const claims = only ?? [...this.running.values()].map((r) => r.claim);
    try {
      const worker = only ? undefined : await this.registration.beatId();
      if (claims.length > 0 || worker !== undefined) {
        const lost = await this.engine.store.heartbeat(claims, this.leaseMs, worker);
        for (const c of lost) this.running.get(keyOf(c))?.abort.abort(new Error('lease lost'));
      }
      if (!only) await this.codeRuns.renew();
    } catch (error) {
      this.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** Expired leases back to ready; runs left unsettled by a worker that died, settled. */
  private async sweep(): Promise<void> {
    this.adoptDue = true;
    this.pump();
    try {
      if ((await this.engine.store.sweepExpired()) > 0) this.pump();
      for (const runId of await this.engine.store.overdueRuns(this.engine.clockNow, 20)) await this.contexts.timeOut(runId);
      for (const runId of await this.engine.store.unsettledRuns(20, this.engine.clockNow - this.leaseMs)) {
        const ctx = await this.contexts.get(runId);
        if (ctx) await this.contexts.settle(runId, ctx, undefined);
      }
    } catch (error) {
      this.warn(`sweep failed: ${(error as Error).message}`);
    }
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.inFlight === 0 && !this.adopting && this.finished.length === 0 && this.after.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }
}
