/**
 * @module engine/run-driver
 * Drives one run to its end in this process: claims ready steps up to the
 * concurrency limit, executes them, records outcomes, and reacts. Nothing
 * scans or sleeps: a finished step's transition releases its dependents in
 * the store, and the claim for the freed slot is queued right behind it, so
 * both share one commit; a single timer is armed at the next retry due time.
 *
 * More steps than `concurrency` are in flight: prepared and handed to the
 * launcher, which starts at most `concurrency` processes at once (the run's
 * slot pool); how many more depends on how short steps are (prefetch.ts).
 * When a process ends the next one starts where processes start, with no
 * round trip through this loop; the claim that refills the window shares
 * the finish's commit.
 *
 * When no step is open the run settles: succeeded; or, after a failure or a
 * run timeout, the rollbacks of succeeded tasks run (reverse completion
 * order) as steps of their own, then failed / timed_out. Cancel (Ctrl-C)
 * stops every process group and records the run cancelled, without rollback.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { EngineEventMap } from '../core/events.js';
import type { RunStatus } from '../core/states.js';
import { formatDuration } from '../core/duration.js';
import { coerceError } from '../core/errors.js';
import type { AttemptOutcome, Claim, Store } from '../store/store.js';
import { stepFinished } from './step-event.js';
import { StepAbort } from './step-abort.js';
import { settleRun, type Ending } from './settle.js';
import type { TaskExecutor } from './task-executor.js';
import { Prefetch } from './prefetch.js';
import { Deferred, DueTimer } from './wakeup.js';

export interface DriverOptions {
  runId: string;
  owner: string;
  /** Processes at once; the driver keeps more steps than that in flight (prefetch.ts). */
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  failFast: boolean;
  /** Absolute deadline of the run (ms epoch), if it has a timeout. */
  deadline?: number;
  timeoutMs?: number;
  /** Tasks that have a rollback command. */
  rollbackTasks: ReadonlySet<string>;
  /**
   * Some tasks take pool slots: a slot freed by another process's run makes
   * one claimable here, so the store's change notifications wake the driver.
   */
  pooled?: boolean;
}

/** How long a success may wait to be recorded with others (see recordSoon). */
const RECORD_DELAY_MS = 2;

type Emit = <K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]) => void;

interface Running {
  claim: Claim;
  abort: StepAbort;
  done: Promise<void>;
}


export class RunDriver {
  private readonly running = new Map<string, Running>();
  private openSteps = 0;
  private claiming = false;
  private pumpAgain = false;
  private writes = 0;
  private ending: Ending | undefined;
  private settling = false;
  private readonly result = new Deferred<RunStatus>();
  private readonly retryTimer: DueTimer;
  private readonly prefetch: Prefetch;
  private waiting: Array<{ claim: Claim; outcome: AttemptOutcome; endedAt: number; resolve: () => void }> = [];
  private recordTimer: NodeJS.Timeout | undefined;
  private cancelDeadline: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly executor: TaskExecutor,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly emit: Emit,
    private readonly opts: DriverOptions,
  ) {
    this.retryTimer = new DueTimer(timers, () => this.pump());
    this.prefetch = new Prefetch(opts.concurrency);
  }

  /** Drive until the run ends; resolves with its final status. */
  async drive(openSteps: number): Promise<RunStatus> {
    this.openSteps = openSteps;
    const { deadline } = this.opts;
    if (deadline !== undefined) {
      this.cancelDeadline = this.timers.at(deadline, () => this.end({ kind: 'timed_out', reason: `run timed out after ${formatDuration(this.opts.timeoutMs ?? 0)}` }));
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
    const unwatch = this.opts.pooled ? this.store.watch(() => this.pump()) : undefined;
    const due = await this.store.nextDueAt(this.opts.runId);
    if (due !== null) this.retryTimer.armAt(due);
    this.pump();
    try {
      return await this.result.promise;
    } finally {
      unwatch?.();
      this.retryTimer.clear();
      this.cancelDeadline?.();
      clearInterval(this.heartbeatTimer);
    }
  }

  /** Stop the run: every running process group is ended, the run recorded cancelled. */
  cancel(reason = 'cancelled by user'): void {
    this.end({ kind: 'cancelled', reason });
  }

  private pump(): void {
    if (this.result.settled || this.settling) return;
    if (this.ending) return this.maybeSettle();
    const depth = this.prefetch.depth;
    const free = this.opts.concurrency + depth - this.running.size;
    if (this.claiming) {
      this.pumpAgain = true;
      return;
    }
    // Claim in batches while the window still holds work for every slot; at
    // once when a slot would otherwise idle.
    const batch = Math.max(1, Math.ceil(depth / 2));
    if (free <= 0 || (free < batch && this.running.size >= this.opts.concurrency)) return;
    this.claiming = true;
    this.writes++;
    this.store
      .claimSteps({ runId: this.opts.runId, owner: this.opts.owner, limit: free, leaseMs: this.opts.leaseMs })
      .then(async (claims) => {
        for (const claim of claims) this.launch(claim);
        if (claims.length === 0 && this.running.size === 0 && !this.ending) await this.rearm();
      })
      .catch((error: unknown) => this.fatal(error))
      .finally(() => {
        this.writes--;
        this.claiming = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        } else {
          this.maybeSettle();
        }
      });
  }

  /**
   * Nothing was claimable and nothing runs: a retry is due later, or was due
   * by this process's clock but not yet by the store's (a shared database's
   * clock may lag a little). Look again at the store's next due time.
   */
  private async rearm(): Promise<void> {
    const due = await this.store.nextDueAt(this.opts.runId);
    if (due !== null) this.retryTimer.armAt(Math.max(due, this.clock.now() + 5));
  }

  private launch(claim: Claim): void {
    if (this.ending) {
      // Claimed as the run was ending: hand it back as cancelled.
      void this.store.cancelSteps(this.opts.runId, this.ending.reason);
      return;
    }
    const abort = new StepAbort();
    const started = () => {
      const at = this.clock.now();
      this.prefetch.started(at);
      this.emit('step:started', { runId: claim.runId, stepId: claim.stepId, kind: claim.kind, attempt: claim.attempt, at });
    };
    const done = this.executor
      .execute(claim, abort, started)
      .catch((error: unknown): AttemptOutcome => ({ status: 'failed', error: coerceError(error).message }))
      .then((outcome) => this.recordSoon(claim, outcome));
    this.running.set(claim.stepId, { claim, abort, done });
  }

  /**
   * Once steps prove short (more prepared than run, prefetch.ts), a success
   * waits up to RECORD_DELAY_MS for others, and they are recorded together:
   * one transaction and one claim for all, while the prepared steps keep
   * every slot busy. Anything else is recorded at once, and so is a success
   * with nothing else in flight (the run's last step, say): no other could
   * join it.
   */
  private recordSoon(claim: Claim, outcome: AttemptOutcome): Promise<void> {
    const endedAt = this.clock.now();
    const alone = this.running.size <= 1 && this.waiting.length === 0;
    if (outcome.status !== 'succeeded' || this.ending || alone || this.prefetch.depth <= this.opts.concurrency) {
      return this.record(claim, outcome, endedAt);
    }
    return new Promise<void>((resolve) => {
      this.waiting.push({ claim, outcome, endedAt, resolve });
      this.recordTimer ??= setTimeout(() => this.recordWaiting(), RECORD_DELAY_MS);
    });
  }

  /** Record now the successes waiting for others. */
  private recordWaiting(): void {
    clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) void this.record(w.claim, w.outcome, w.endedAt).then(w.resolve);
  }

  /** `endedAt`: when the attempt ended here, the time of its step:finished event. */
  private async record(claim: Claim, outcome: AttemptOutcome, endedAt: number): Promise<void> {
    this.writes++;
    try {
      const finished = this.store.finishStep(claim, outcome);
      this.running.delete(claim.stepId);
      // Queued behind the finish: claims what it released, in the same commit.
      this.pump();
      const result = await finished;
      if (!result.accepted) return;
      this.openSteps = result.openSteps;
      // The claim above ran beside the finish, not behind it: claim what it released now.
      if (!this.store.ordered && result.openSteps > 0) this.pump();
      if (outcome.status === 'failed' && outcome.retryAt !== undefined) this.retryTimer.armAt(outcome.retryAt);
      const event = stepFinished(claim, outcome, endedAt);
      this.emit('step:finished', event);
      if (event.status === 'failed' && claim.kind === 'task' && this.opts.failFast) {
        this.end({ kind: 'failed', reason: `failFast: task ${claim.stepId} failed` });
      }
    } catch (error) {
      this.fatal(error);
    } finally {
      this.writes--;
      this.maybeSettle();
    }
  }

  /** Cancel, time out or fail fast: stop all work now, then settle. */
  private end(ending: Ending): void {
    if (this.ending || this.result.settled) return;
    this.recordWaiting();
    this.ending = ending;
    this.retryTimer.clear();
    this.writes++;
    void this.store
      .cancelSteps(this.opts.runId, ending.reason)
      .then((ids) => {
        this.openSteps = 0;
        if (ids.length > 0) this.emit('step:cancelled', { runId: this.opts.runId, stepIds: ids });
      })
      .catch((error: unknown) => this.fatal(error))
      .finally(() => {
        for (const r of this.running.values()) r.abort.abort(new Error(ending.reason));
        this.writes--;
        this.maybeSettle();
      });
  }

  private maybeSettle(): void {
    if (this.settling || this.result.settled) return;
    if (this.openSteps > 0 && !this.ending) return;
    if (this.running.size > 0 || this.claiming || this.writes > 0) return;
    this.settling = true;
    this.settle()
      .then((status) => {
        if (status) this.result.resolve(status);
        else {
          this.settling = false;
          this.pump();
        }
      })
      .catch((error: unknown) => this.fatal(error));
  }

  /** The run's final status, or undefined when rollbacks were added and the run goes on. */
  private async settle(): Promise<RunStatus | undefined> {
    const ending = this.ending;
    const settled = await settleRun(this.store, this.opts.runId, this.opts.rollbackTasks, ending);
    if (settled.status !== undefined) {
      this.emit('run:finished', { runId: this.opts.runId, status: settled.status, error: settled.error });
      return settled.status;
    }
    if ('lost' in settled) throw new Error(`run ${this.opts.runId} was changed by another process while this one settled it`);
    this.openSteps = settled.rollbacks;
    this.ending = undefined;
    return undefined;
  }

  private async heartbeat(): Promise<void> {
    const claims = [...this.running.values()].map((r) => r.claim);
    if (claims.length === 0) return;
    try {
      const lost = await this.store.heartbeat(claims, this.opts.leaseMs);
      for (const c of lost) this.running.get(c.stepId)?.abort.abort(new Error('lease lost'));
    } catch (error) {
      this.fatal(error);
    }
  }

  private fatal(error: unknown): void {
    if (this.result.settled) return;
    this.recordWaiting();
    for (const r of this.running.values()) r.abort.abort(error);
    this.result.reject(error);
  }

  /** Nothing in flight: every step is waiting for time (or none is left). */
  idle(): boolean {
    return this.running.size === 0 && !this.claiming && this.writes === 0 && !this.settling;
  }

  /** Wait for every running process to be gone (after cancel). */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
