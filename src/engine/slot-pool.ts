/**
 * @module engine/slot-pool
 * Named pools of slots: at most `limit` holders per pool at once, the others
 * wait in FIFO order. A run's concurrency is a pool: the engine keeps more
 * steps prepared than it may run, and the launcher starts each process only
 * when the run's pool has a slot (in the spawner process this means no round
 * trip to the engine between one process ending and the next starting).
 */
import type { Abortable } from './step-abort.js';

interface Pool {
  held: number;
  waiting: Array<{ grant: () => void; limit: number }>;
}

export class SlotPools {
  private readonly pools = new Map<string, Pool>();

  /** Resolves with a release function when a slot is free; rejects if the signal aborts first. */
  acquire(id: string, limit: number, signal?: Abortable): Promise<() => void> {
    const pool = this.pools.get(id) ?? { held: 0, waiting: [] };
    this.pools.set(id, pool);
    if (pool.held < limit && pool.waiting.length === 0) {
      pool.held++;
      return Promise.resolve(this.releaser(id, pool));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        limit,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser(id, pool));
        },
      };
      const onAbort = () => {
        const i = pool.waiting.indexOf(entry);
        if (i >= 0) pool.waiting.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      pool.waiting.push(entry);
    });
  }

  private releaser(id: string, pool: Pool): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      pool.held--;
      const next = pool.waiting[0];
      if (next && pool.held < next.limit) {
        pool.waiting.shift();
        pool.held++;
        next.grant();
      } else if (pool.held === 0 && pool.waiting.length === 0) {
        this.pools.delete(id);
      }
    };
  }
}
