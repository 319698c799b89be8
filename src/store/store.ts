/**
 * @module store/store
 * The Store interface: the durable state of runs, steps, attempts, events and
 * logs, in terms of what the engine means (claim, finish, release), never of a
 * driver. Every method that changes state is a guarded transition: it names
 * the state it expects, and a mismatch is a typed outcome, not an overwrite.
 * Every backend runs the same contract suite (test/store/contract.ts and its
 * sibling parts, test/store/*-contract.ts).
 */
import type { FlowView, PoolView, RunGate } from '../core/flow.js';
import type { RunTrigger } from '../core/run-trigger.js';
import type { WorkflowHistory } from '../core/workflow-stats.js';
import type { FireOutcome, FireRecord, ScheduleState } from '../core/schedule.js';
import type { TokenRecord } from '../core/tokens.js';
import type { RunDefinition } from '../core/workflow-code.js';
import type { WorkerInfo, WorkerList } from '../core/workers.js';
import type { RunStatus, StepKind, StepStatus } from '../core/states.js';
import type { RunRow, StepRow, AttemptRow, EventRow, LogLine, LogQuery, StoredLogLine, RunQuery, ListedRun, SettleFacts } from './store-reads.js';

export type { RunRow, StepRow, AttemptRow, EventRow, Stream, LogLine, LogQuery, StoredLogLine, RunQuery, ListedRun, SettleFacts } from './store-reads.js';

export interface NewStep {
  id: string;
  dependsOn: readonly string[];
  /** A resource pool it takes a slot of (see core/flow). */
  pool?: string;
  /** Among steps waiting for the same pool, higher first. */
  priority?: number;
}

export interface NewRun {
  id: string;
  workflow: string;
  definition: RunDefinition;
  /** Any JSON value for a code workflow; named values for a file workflow. */
  input: unknown;
  /** The graph's tasks (none for a code workflow: its journal grows as it runs). */
  steps: readonly NewStep[];
  /** The run that started this one as a child. */
  parentId?: string;
  /** Its first steps become claimable only then (quiet hours defer a run). */
  notBefore?: number;
  /** Concurrency gates it must pass: while one is full it is created queued, and starts when a slot frees. */
  gates?: readonly RunGate[];
  /** Among runs waiting for the same gate, higher first (default 0). */
  priority?: number;
  /** What started it (default: `parent` with a parentId, else `manual`). */
  trigger?: RunTrigger;
}

/** A step handed to one owner. `epoch` is the fencing token: outcomes must carry it. */
export interface Claim {
  runId: string;
  stepId: string;
  kind: StepKind;
  attempt: number;
  epoch: number;
  /** Failed attempts before this one (crashed ones excluded). */
  failures: number;
  /** Dependencies that ended other than succeeded (failed, skipped, cancelled). */
  depsNotOk: number;
  /** The task this rollback undoes (kind 'rollback'). */
  target?: string;
}

export type AttemptOutcome =
  | { status: 'succeeded'; exitCode?: number | null; outputs?: Record<string, string> }
  | {
      status: 'failed';
      exitCode?: number | null;
      error: string;
      /** When set, the step is retried at this time (ms epoch); otherwise it fails for good. */
      retryAt?: number;
      outputs?: Record<string, string>;
    }
  | { status: 'skipped'; reason: string };

export interface FinishResult {
  /** False when the claim no longer holds (lease lost, run cancelled): nothing was written. */
  accepted: boolean;
  /** Steps of the run that are not final yet, after this transition. */
  openSteps: number;
}

/** A worker's round trip: the outcomes it has to record, and what it asks to claim next. */
export interface StepBatch {
  finishes: ReadonlyArray<{ claim: Claim; outcome: AttemptOutcome }>;
  /**
   * Claim up to `limit` claimable steps of file workflows in any run
   * submitted for workers (no owner: a run a process drives is left to it),
   * oldest readiness first, as claimSteps does for one run, after the
   * finishes (which may release some); 0: none.
   */
  claim: Omit<ClaimRequest, 'runId'>;
}

export interface StepBatchResult {
  /** One per finish, in order. */
  finished: FinishResult[];
  claims: Claim[];
  /** When fewer than asked were claimed: the earliest time a waiting step of a worker run becomes due, or null. */
  nextDue: number | null;
}


/** One journaled call of a code run (a row of its steps, read for replay). */
export interface JournalEntry {
  /** Order of the call in the workflow function (0-based). */
  position: number;
  key: string;
  kind: StepKind;
  name: string;
  status: StepStatus;
  attempt: number;
  failures: number;
  /** JSON: the result, or for a failure `{name, message}`; null when there is none. */
  result: string | null;
  /** A retry's or a sleep's due time, a signal wait's deadline. */
  readyAt: number | null;
  completedSeq: number | null;
}

export interface BeginEntry {
  position: number;
  key: string;
  kind: StepKind;
  name: string;
  /** Steps: the attempt that starts (an attempt row is written). Waits: 0. */
  attempt: number;
  status: 'running' | 'waiting';
  readyAt?: number | null;
  /** When the attempt started (the write may be committed later). */
  at?: number;
}

export type EndEntry =
  | { status: 'succeeded'; result: string | null }
  | { status: 'retrying'; error: string; result: string; readyAt: number }
  | { status: 'failed'; error: string; result: string }
  | { status: 'compensated' };

export interface RunResultFields {
  error?: string | null;
  thenStatus?: RunStatus;
  /** A code run's result (JSON). */
  result?: string | null;
  /** A waiting run's next due time. */
  wakeAt?: number | null;
}

export interface ClaimRequest {
  runId: string;
  owner: string;
  limit: number;
  leaseMs: number;
}

export interface Store {
  /**
   * Writes issued one after another apply in that order, even before the
   * first is awaited (SQLite's group commit): a claim queued right behind a
   * finish sees the steps that finish released. Otherwise (PostgreSQL, a
   * transaction per call on a pool) the engine claims again once the finish
   * has committed.
   */
  readonly ordered: boolean;

  /** Apply pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** API tokens (their hashes): added, found by id, listed (newest first), revoked. */
  addToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** False when there is no such token or it was revoked already. */
  revokeToken(id: string, at: number): Promise<boolean>;

  /** Record a schedule's due time, if no one has: true for the one caller that did (the fire is its to make). */
  claimFire(fire: FireRecord): Promise<boolean>;
  /** Change a fire's outcome, if it is still `from` (one of several servers wins). */
  updateFire(workflow: string, schedule: string, dueAt: number, from: FireOutcome, to: FireOutcome, runId: string | null): Promise<boolean>;
  /** Take over a fire left `firing` since before `staleBefore` (its server died): true for the one caller that did. */
  retakeFire(workflow: string, schedule: string, dueAt: number, staleBefore: number, now: number): Promise<boolean>;
  /** The latest due time recorded for a schedule, or null. */
  lastFire(workflow: string, schedule: string): Promise<number | null>;
  /** Fires of a workflow's schedule (or all its schedules), newest first. */
  listFires(workflow: string, schedule: string | undefined, limit: number): Promise<FireRecord[]>;
  setSchedulePaused(state: ScheduleState): Promise<void>;
  /** Runs by workflow and status, and steps waiting for a worker (ready now) or running: what /metrics reports. */
  counts(now: number): Promise<{ runs: Array<{ workflow: string; status: RunStatus; n: number }>; ready: number; running: number }>;
  scheduleStates(): Promise<ScheduleState[]>;
  /** The latest `runs` runs of a workflow, their attempts and their steps' queue waits (core/workflow-stats.ts). */
  workflowHistory(workflow: string, runs: number): Promise<WorkflowHistory>;

  /**
   * Insert a run and its steps (status running); steps without dependencies
   * start ready. `owner` null: submitted for workers, no process drives it.
   * A run with gates that are full is queued instead (no step ready), and a
   * step with a pool that is full is queued: see core/flow.
   */
  createRun(run: NewRun, owner: string | null): Promise<void>;

  /** Define (slots) or remove (null) a resource pool; tasks queued for it are admitted as slots allow. */
  setPool(name: string, slots: number | null): Promise<void>;
  /** Every pool defined or named by a step that holds or waits for a slot. */
  listPools(): Promise<PoolView[]>;
  /** Why a run waits: its gates and its queued steps' pools. */
  flow(runId: string): Promise<FlowView>;
  /** Take ownership of a run (embedded resume). Returns the previous owner. */
  takeRun(runId: string, owner: string): Promise<{ previousOwner: string | null }>;

  /**
   * Claim up to `limit` claimable steps of a run (ready, or retrying and due),
   * oldest readiness first: each becomes running with attempt+1, a new epoch
   * and a lease until now + leaseMs, and gets an attempt row.
   */
  claimSteps(req: ClaimRequest): Promise<Claim[]>;
  /**
   * Code runs that need a process: submitted for workers (no owner) or whose
   * worker's run lease lapsed. Each claimed one gets `owner` and a lease.
   */
  claimCodeRuns(req: Omit<ClaimRequest, 'runId'>): Promise<string[]>;
  /** Renew the run leases of code runs in hand; returns the ones no longer held (taken over, or ended). */
  renewRuns(runIds: readonly string[], owner: string, leaseMs: number): Promise<string[]>;
  /** Give a code run back (a worker stopping): another worker may take it at once. */
  releaseRun(runId: string, owner: string): Promise<void>;
  /**
   * Runs submitted for workers (no owner) whose steps have all ended but that
   * were never settled: the worker that ended the last one died before it
   * could settle the run. Only runs with no history since `quietSince` (ms
   * epoch): a live worker may be settling one right now.
   */
  unsettledRuns(limit: number, quietSince: number): Promise<string[]>;
  /** File runs for workers still running past their deadline (their timeout). */
  overdueRuns(now: number, limit: number): Promise<string[]>;
  /** The steps running under `owner`'s leases (a worker finds claims it made but never learned of: its connection dropped as they committed). */
  leasedSteps(owner: string): Promise<Claim[]>;
  /**
   * Extend the leases of claims still held; returns the ones that were lost.
   * With `worker`, that registered worker is also seen now, in the same round trip.
   */
  heartbeat(claims: readonly Claim[], leaseMs: number, worker?: string): Promise<Claim[]>;
  /**
   * Give back claims taken ahead and never started (a worker's local queue
   * waited too long behind long steps): each step whose claim still holds is
   * takeable at once by any worker, as if never claimed. Its attempt row goes
   * and its attempt number is restored; its epoch stays advanced, so the
   * claim given back can record nothing. History gets `step:returned`.
   * Returns the claims given back (the others were lost, cancelled or ended).
   */
  returnClaims(claims: readonly Claim[]): Promise<Claim[]>;

  /**
   * The worker registry (core/workers). registerWorker records a worker as
   * started and seen now (again, if its id was listed before), and removes
   * the rows of workers stopped or lost for longer than a day.
   */
  registerWorker(worker: WorkerInfo): Promise<void>;
  /** A clean stop: the worker is listed stopped from now on. */
  stopWorker(id: string): Promise<void>;
  /** Up to `limit` workers (default 200; live ones first), each with the steps and code runs it holds now. */
  listWorkers(limit?: number): Promise<WorkerList>;

  /**
   * Record an attempt's outcome, if the claim still holds. Succeeded, failed
   * for good and skipped release the step's dependents in the same transaction
   * (a dependent whose last dependency ended becomes ready).
   */
  finishStep(claim: Claim, outcome: AttemptOutcome): Promise<FinishResult>;
  /**
   * A worker's round trip: each outcome recorded as finishStep does, then a
   * claim (it sees the steps the finishes released), in one
   * transaction. On PostgreSQL one function call: one round trip, one commit.
   */
  stepBatch(batch: StepBatch): Promise<StepBatchResult>;

  /**
   * Running steps of the run whose owner is gone: their attempt is recorded as
   * crashed and the step becomes ready again. Returns how many.
   */
  recoverRun(runId: string): Promise<number>;
  /** Running steps whose lease expired, in any run: as recoverRun. */
  sweepExpired(): Promise<number>;

  /** Earliest time a retrying step of the run becomes due, or null. */
  nextDueAt(runId: string): Promise<number | null>;

  /**
   * Every non-final step becomes cancelled (running ones too: their owner
   * learns it when its outcome is refused). Returns the steps that were running.
   */
  cancelSteps(runId: string, reason: string): Promise<string[]>;

  /**
   * Add rollback steps (`<task>.rollback`) for the given tasks, chained in the
   * given order. A rollback that succeeds marks its task compensated; one that
   * fails does not stop the chain.
   */
  addRollbacks(runId: string, targets: readonly string[]): Promise<void>;

  /**
   * Move the run to a new status if it is in one of `from`. `thenStatus` is the
   * final status a compensating run will take when its rollbacks are done.
   */
  setRunStatus(runId: string, from: readonly RunStatus[], to: RunStatus, fields?: RunResultFields): Promise<boolean>;

  /**
   * Re-run from failure: steps that did not succeed (and their rollback rows)
   * are reset, deps recounted, the run goes back to running with runAttempt+1.
   * Returns the ids of the reset steps.
   */
  resetForRetry(runId: string, owner: string | null): Promise<string[]>;

  /**
   * Code runs. Each write is refused (false) unless `owner` still owns the run.
   * beginEntry creates or restarts the entry at its key; endEntry records how
   * the current attempt ended (a succeeded step gets the next completion seq).
   */
  beginEntry(runId: string, owner: string, entry: BeginEntry): Promise<boolean>;
  endEntry(runId: string, owner: string, key: string, attempt: number, end: EndEntry): Promise<boolean>;
  /**
   * A step attempt that began and ended before its begin was written (a quick
   * step): beginEntry and endEntry in one write.
   */
  recordStep(runId: string, owner: string, begin: BeginEntry, end: EndEntry): Promise<boolean>;
  /** A journaled value (now, random, uuid): written final at once. */
  recordValue(runId: string, owner: string, entry: { position: number; key: string; name: string; result: string }): Promise<boolean>;
  /** The run's journal, in position order. */
  getJournal(runId: string): Promise<JournalEntry[]>;
  /** Queue a signal for the run (JSON payload); it waits until a waitForSignal takes it. */
  sendSignal(runId: string, name: string, payload: string | null): Promise<void>;
  /**
   * Take the oldest signal of that name, if one waits, and end the waiting
   * entry `key` with its payload, in one transaction: exactly once.
   */
  takeSignal(runId: string, owner: string, name: string, key: string): Promise<{ payload: string | null } | undefined>;
  /** Signals sent to the run that no wait has taken yet. */
  pendingSignals(runId: string): Promise<Array<{ name: string; payload: string | null; sentAt: number }>>;
  /** The user status of a code run (JSON), readable while it goes. */
  setUserStatus(runId: string, value: string): Promise<void>;
  getRunDetail(runId: string): Promise<{ result: string | null; userStatus: string | null } | undefined>;
  /** Runs that wait, due at or before `until` (resume them). */
  dueRuns(until: number): Promise<Array<{ id: string; wakeAt: number }>>;
  childRuns(runId: string): Promise<string[]>;

  /**
   * Call `listener` when another process may have changed the store (a signal
   * sent, a run cancelled), with the run concerned when the store knows it.
   * Returns a stop function.
   */
  watch(listener: (runId?: string) => void): () => void;

  appendEvent(runId: string, type: string, fields?: { stepId?: string; attempt?: number; data?: Record<string, unknown> }): Promise<void>;
  appendLogs(lines: readonly LogLine[]): Promise<void>;

  getRun(runId: string): Promise<RunRow | undefined>;
  /** What settling a run reads: its status fields and its failed tasks (in the steps' order), not its definition or every step. */
  settleFacts(runId: string): Promise<SettleFacts | undefined>;
  /** Resolve a unique id prefix (as git does). */
  findRunId(prefix: string): Promise<string | undefined>;
  listRuns(query?: RunQuery): Promise<ListedRun[]>;
  getSteps(runId: string): Promise<StepRow[]>;
  getAttempts(runId: string, stepId?: string): Promise<AttemptRow[]>;
  getEvents(runId: string, afterSeq?: number): Promise<EventRow[]>;
  /** History of every run after `afterSeq`, in seq order (a live feed across processes). */
  eventsAfter(afterSeq: number, limit: number): Promise<EventRow[]>;
  /** The seq of the newest event, 0 when there is none. */
  lastEventSeq(): Promise<number>;
  getLogs(query: LogQuery): Promise<StoredLogLine[]>;
  /** Outputs of the given steps (for `tasks.<id>.outputs` in expressions). */
  getOutputs(runId: string, stepIds: readonly string[]): Promise<Map<string, { status: StepStatus; outputs: Record<string, string> }>>;
}
