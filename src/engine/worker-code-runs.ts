/**
 * @module engine/worker-code-runs
 * The code runs a worker holds. A code run is taken whole, under a run lease
 * the worker renews: the worker loads the workflow's module from the path
 * the run was started with and replays its journal. When the lease lapses
 * (the worker died), another worker takes the run over. A worker that stops
 * hands its code runs back at once.
 */
import { isFinalRun } from '../core/states.js';
import type { Engine, RunHandle } from './engine.js';

export class WorkerCodeRuns {
  private readonly held = new Map<string, RunHandle>();
  private claiming = false;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly opts: { limit: number; leaseMs: number; warn: (message: string) => void },
  ) {}

  has(runId: string): boolean {
    return this.held.has(runId);
  }

  /** Take code runs that need a process, up to the limit in hand. */
  pump(): void {
    const free = this.opts.limit - this.held.size;
    if (this.claiming || free <= 0 || this.stopped) return;
    this.claiming = true;
    let more = false;
    this.engine.store
      .claimCodeRuns({ owner: this.engine.owner, limit: free, leaseMs: this.opts.leaseMs })
      .then(async (ids) => {
        if (ids.length === free) more = true;
        for (const runId of ids) await this.adopt(runId);
      })
      .catch((error: unknown) => this.opts.warn(`claiming code runs failed: ${(error as Error).message}`))
      .finally(() => {
        this.claiming = false;
        if (more) this.pump();
      });
  }

  private async adopt(runId: string): Promise<void> {
    try {
      const handle = await this.engine.adoptCodeRun(runId);
      this.held.set(runId, handle);
      // The run itself reports run:finished as it settles; watching the result is only for errors and the slot.
      handle.result
        .catch((error: unknown) => {
          if (!this.stopped) this.opts.warn(`code run ${runId}: ${(error as Error).message}`);
        })
        .finally(() => {
          this.held.delete(runId);
          this.pump();
        });
    } catch (error) {
      this.opts.warn(`code run ${runId} cannot run here: ${(error as Error).message}`);
      await this.engine.store.releaseRun(runId, this.engine.owner).catch(() => undefined);
    }
  }

  /** A code run in hand that was cancelled (or taken over) elsewhere stops here. */
  async check(runId: string): Promise<void> {
    const run = await this.engine.store.getRun(runId).catch(() => undefined);
    const handle = this.held.get(runId);
    if (!run || !handle) return;
    if (isFinalRun(run.status) || run.owner !== this.engine.owner) handle.abandon?.(`run ${runId} is ${run.status} (changed elsewhere)`);
  }

  /** Renew the run leases in hand; a run whose lease was lost stops here. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const lost = await this.engine.store.renewRuns([...this.held.keys()], this.engine.owner, this.opts.leaseMs);
    for (const runId of lost) this.held.get(runId)?.abandon?.('run lease lost');
  }

  /** Stop taking runs and give the ones in hand back, for another worker to replay at once. */
  async release(): Promise<void> {
    this.stopped = true;
    for (const [runId, handle] of this.held) {
      handle.abandon?.('the worker stopped');
      await this.engine.store.releaseRun(runId, this.engine.owner).catch(() => undefined);
    }
    this.held.clear();
  }
}
