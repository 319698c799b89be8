/**
 * @module server/store-feed
 * Live run and step changes read from the store's history, for a server that
 * shares its store with other servers and workers (PostgreSQL): a step another
 * machine ran is seen here as soon as its event commits. One feed per server,
 * shared by every SSE client; woken by the store's notifications, with a poll
 * every half second as a fallback.
 *
 * History rows become the same live events the engine emits (step:finished
 * for step:succeeded, ...), so a client need not know where a change came
 * from. PostgreSQL numbers events from a sequence, and a transaction may
 * commit after one that took a later number: the feed keeps its cursor before
 * such a gap and reads it again, until the missing row commits or, after
 * GAP_MS, is taken for a rolled-back one.
 */
import { EventEmitter } from 'node:events';
import type { EngineEventMap } from '../core/events.js';
import type { RunStatus, StepStatus } from '../core/states.js';
import type { Engine } from '../engine/engine.js';

/** The engine's store (the server reaches the store through the engine only). */
type Store = Engine['store'];
type EventRow = Awaited<ReturnType<Store['eventsAfter']>>[number];

const POLL_MS = 500;
const GAP_MS = 5000;
const PAGE = 500;

type Live = { [K in keyof EngineEventMap]: { name: K; payload: EngineEventMap[K] } }[keyof EngineEventMap];

const STEP_ENDS: ReadonlySet<string> = new Set(['step:succeeded', 'step:failed', 'step:retrying', 'step:skipped']);
const RUN_ENDS: ReadonlySet<string> = new Set(['run:succeeded', 'run:failed', 'run:cancelled', 'run:timed_out']);

export class StoreFeed {
  private readonly emitter = new EventEmitter();
  private cursor = 0;
  /** Rows past a gap, already sent: seq -> nothing. */
  private readonly sent = new Set<number>();
  /** A gap's first seq and when it was first seen. */
  private gap: { seq: number; since: number } | undefined;
  private readonly workflows = new Map<string, string>();
  private reading = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;

  constructor(private readonly store: Store) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.cursor = await this.store.lastEventSeq();
    this.unwatch = this.store.watch(() => this.read());
    this.timer = setInterval(() => this.read(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.unwatch?.();
    clearInterval(this.timer);
  }

  on(listener: (event: Live) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Read what committed since the cursor (one read at a time; a wake during one reads again after it). */
  read(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.pull()
      .catch(() => undefined) // the store is down for a moment: the next poll tries again
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.read();
        }
      });
  }

  private async pull(): Promise<void> {
    for (;;) {
      const rows = await this.store.eventsAfter(this.cursor, PAGE);
      for (const row of rows) {
        if (this.sent.has(row.seq)) continue;
        this.sent.add(row.seq);
        await this.send(row);
      }
      this.advance(rows, Date.now());
      if (rows.length < PAGE) return;
    }
  }

  /** Move the cursor over the rows that follow it without a hole; wait at a hole for GAP_MS. */
  private advance(rows: readonly EventRow[], now: number): void {
    for (const row of rows) {
      if (row.seq === this.cursor + 1 || (this.gap && this.gap.seq === this.cursor + 1 && now - this.gap.since > GAP_MS)) {
        this.cursor = row.seq;
        this.sent.delete(row.seq);
        this.gap = undefined;
        continue;
      }
      if (row.seq <= this.cursor) continue;
      if (!this.gap || this.gap.seq !== this.cursor + 1) this.gap = { seq: this.cursor + 1, since: now };
      return;
    }
  }

  private async send(row: EventRow): Promise<void> {
    const live = await this.toLive(row);
    if (live) this.emitter.emit('event', live);
  }

  private async workflowOf(runId: string): Promise<string> {
    let name = this.workflows.get(runId);
    if (name === undefined) {
      name = (await this.store.getRun(runId))?.workflow ?? '';
      if (this.workflows.size > 10_000) this.workflows.clear();
      this.workflows.set(runId, name);
    }
    return name;
  }

  private async toLive(row: EventRow): Promise<Live | undefined> {
    const { runId, stepId, attempt, at, type } = row;
    const data = row.data ?? {};
    if (type === 'run:started') {
      const steps = typeof data.steps === 'number' ? data.steps : 0;
      return { name: 'run:started', payload: { runId, workflow: await this.workflowOf(runId), steps, resumed: false } };
    }
    if (type === 'run:queued') return { name: 'run:queued', payload: { runId, workflow: await this.workflowOf(runId), waitingFor: [] } };
    if (type === 'step:started' && stepId !== null) return { name: 'step:started', payload: { runId, stepId, kind: 'task', attempt: attempt ?? 0, at } };
    if (STEP_ENDS.has(type) && stepId !== null) {
      const payload: EngineEventMap['step:finished'] = {
        runId,
        stepId,
        kind: 'task',
        attempt: attempt ?? 0,
        status: type.slice('step:'.length) as StepStatus,
        exitCode: typeof data.exitCode === 'number' ? data.exitCode : null,
        at,
      };
      if (typeof data.error === 'string') payload.error = data.error;
      else if (typeof data.reason === 'string') payload.error = data.reason;
      if (typeof data.retryAt === 'number') payload.retryAt = data.retryAt;
      return { name: 'step:finished', payload };
    }
    if (type === 'steps:cancelled') return { name: 'step:cancelled', payload: { runId, stepIds: [] } };
    if (RUN_ENDS.has(type)) {
      return { name: 'run:finished', payload: { runId, status: type.slice('run:'.length) as RunStatus, error: typeof data.error === 'string' ? data.error : null } };
    }
    return undefined;
  }
}
