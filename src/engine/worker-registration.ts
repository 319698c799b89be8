/**
 * @module engine/worker-registration
 * A worker's entry in the store's worker registry (core/workers): written
 * at start, marked seen by each heartbeat (the worker passes the id this
 * gives it with its leases, one round trip for both), marked stopped on a
 * clean stop. A registration that failed (the store was briefly out of
 * reach) is tried again at the next heartbeat.
 */
import { hostname } from 'node:os';
import type { WorkerInfo } from '../core/workers.js';
import type { Store } from '../store/store.js';

export class WorkerRegistration {
  private registered = false;
  private readonly info: WorkerInfo;

  constructor(
    private readonly store: Store,
    info: Omit<WorkerInfo, 'host' | 'pid'> & { host?: string | undefined; pid?: number | undefined },
    private readonly warn: (message: string) => void,
  ) {
    const { host = hostname(), pid = process.pid, version, ...rest } = info;
    this.info = { ...rest, host, pid, ...(version ? { version } : {}) };
  }

  async register(): Promise<void> {
    try {
      await this.store.registerWorker(this.info);
      this.registered = true;
    } catch (error) {
      this.warn(`registering this worker failed: ${(error as Error).message}`);
    }
  }

  /** The id a heartbeat marks seen (registering first if that has not succeeded yet), or undefined. */
  async beatId(): Promise<string | undefined> {
    if (!this.registered) await this.register();
    return this.registered ? this.info.id : undefined;
  }

  async stop(): Promise<void> {
    if (!this.registered) return;
    await this.store.stopWorker(this.info.id).catch((error: unknown) => this.warn(`marking this worker stopped failed: ${(error as Error).message}`));
  }
}
