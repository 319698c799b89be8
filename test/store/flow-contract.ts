/**
 * Flow control's part of the Store contract (core/flow.ts): pools, run
 * gates, priority, run on every backend unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunGate } from '../../src/core/flow.js';
import type { WorkflowDef } from '../../src/core/model.js';
import type { Claim, NewStep, Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { StoreFactory } from './contract.js';

const DEF: WorkflowDef = { name: 'wf', inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] };
const OWNER = 'host:1';
const LEASE = 30_000;

export function flowContract(backend: string, factory: StoreFactory): void {
  describe(`Store contract, flow control: ${backend}`, () => {
    let clock: ManualClock;
    let store: Store;
    let cleanup: () => Promise<void>;
    let n = 0;

    beforeEach(async () => {
      clock = new ManualClock();
      ({ store, cleanup } = await factory(clock));
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    /** A run for workers (no owner), as a server submits it. */
    const submit = async (steps: NewStep[], extra: { gates?: RunGate[]; priority?: number } = {}) => {
      const id = `run${++n}`;
      clock.advance(1);
      await store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps, ...extra }, null);
      return id;
    };
    const batch = (finishes: Claim[], limit: number) =>
      store.stepBatch({ finishes: finishes.map((claim) => ({ claim, outcome: { status: 'succeeded' as const } })), claim: { owner: OWNER, limit, leaseMs: LEASE } });
    const status = async (runId: string) => Object.fromEntries((await store.getSteps(runId)).map((s) => [s.id, s.status]));
    const pooled = (k: number, pool = 'db', priority?: number): NewStep[] =>
      Array.from({ length: k }, (_, i) => ({ id: `s${i}`, dependsOn: [], pool, ...(priority === undefined ? {} : { priority }) }));

    it('a pool of 2 slots lets 2 steps go at once; a finish gives its slot to a queued one in the same round trip', async () => {
      await store.setPool('db', 2);
      const run = await submit(pooled(3));
      expect(Object.values(await status(run)).sort()).toEqual(['queued', 'ready', 'ready']);
      const first = await batch([], 10);
      expect(first.claims).toHaveLength(2);
      expect((await batch([], 10)).claims).toEqual([]);
      const flow = await store.flow(run);
      expect(flow.steps).toEqual([{ stepId: 's2', pool: { name: 'db', slots: 2, used: 2, queued: 1 } }]);
      const second = await batch([first.claims[0] as Claim], 10);
      expect(second.claims.map((c) => c.stepId)).toEqual(['s2']);
      expect(await store.listPools()).toEqual([{ name: 'db', slots: 2, used: 2, queued: 0 }]);
    });

    it('a dependent that takes a pool slot is queued when its dependency ends and the pool is full', async () => {
      await store.setPool('db', 1);
      const holder = await submit(pooled(1));
      const run = await submit([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'], pool: 'db' }]);
      const claims = (await batch([], 10)).claims;
      expect(claims.map((c) => `${c.runId}/${c.stepId}`).sort()).toEqual([`${holder}/s0`, `${run}/a`]);
      const a = claims.find((c) => c.stepId === 'a') as Claim;
      expect((await batch([a], 10)).claims).toEqual([]);
      expect((await status(run)).b).toBe('queued');
      const s0 = claims.find((c) => c.stepId === 's0') as Claim;
      expect((await batch([s0], 10)).claims.map((c) => c.stepId)).toEqual(['b']);
    });

    it('steps of a pool that is not defined wait, visibly, until it is', async () => {
      const run = await submit(pooled(2, 'gpu'));
      expect((await batch([], 10)).claims).toEqual([]);
      expect(await store.listPools()).toEqual([{ name: 'gpu', slots: null, used: 0, queued: 2 }]);
      await store.setPool('gpu', 1);
      expect((await batch([], 10)).claims).toHaveLength(1);
      expect(Object.values(await status(run)).sort()).toEqual(['queued', 'running']);
    });

    it('a freed slot goes to the queued step of highest priority, then the oldest', async () => {
      await store.setPool('db', 1);
      const holder = await submit(pooled(1));
      const low = await submit(pooled(1, 'db', 0));
      const high = await submit(pooled(1, 'db', 5));
      const later = await submit(pooled(1, 'db', 5));
      const [h] = (await batch([], 10)).claims;
      expect(h?.runId).toBe(holder);
      const [next] = (await batch([h as Claim], 10)).claims;
      expect(next?.runId).toBe(high);
      const [then] = (await batch([next as Claim], 10)).claims;
      expect(then?.runId).toBe(later);
      const [last] = (await batch([then as Claim], 10)).claims;
      expect(last?.runId).toBe(low);
    });

    it('a cancelled run gives its slots back', async () => {
      await store.setPool('db', 2);
      const holder = await submit(pooled(2));
      const waiting = await submit(pooled(2));
      expect((await batch([], 10)).claims).toHaveLength(2);
      await store.cancelSteps(holder, 'cancelled by user');
      expect((await batch([], 10)).claims.map((c) => c.runId)).toEqual([waiting, waiting]);
    });

    it('a retrying step keeps its slot; one that fails for good frees it', async () => {
      await store.setPool('db', 1);
      const run = await submit(pooled(2));
      const [c] = (await batch([], 10)).claims as [Claim];
      const r = await store.stepBatch({ finishes: [{ claim: c, outcome: { status: 'failed', error: 'x', retryAt: clock.now() + 1000 } }], claim: { owner: OWNER, limit: 10, leaseMs: LEASE } });
      expect(r.claims).toEqual([]);
      clock.advance(1000);
      const [again] = (await batch([], 10)).claims as [Claim];
      expect(again.stepId).toBe(c.stepId);
      const done = await store.stepBatch({ finishes: [{ claim: again, outcome: { status: 'failed', error: 'x' } }], claim: { owner: OWNER, limit: 10, leaseMs: LEASE } });
      expect(done.claims.map((x) => x.stepId)).toEqual([c.stepId === 's0' ? 's1' : 's0']);
      expect((await status(run))[c.stepId]).toBe('failed');
    });

    it('a run over its gate is queued with no step claimable, and starts when the run holding the gate ends', async () => {
      const gates = [{ key: 'key:wf:acme', limit: 1 }];
      const first = await submit([{ id: 'a', dependsOn: [] }], { gates });
      const second = await submit([{ id: 'a', dependsOn: [] }], { gates });
      expect((await store.getRun(first))?.status).toBe('running');
      expect((await store.getRun(second))?.status).toBe('queued');
      expect((await store.getRun(second))?.startedAt).toBeNull();
      expect((await store.flow(second)).gates).toEqual([{ key: 'key:wf:acme', limit: 1, held: 1, queued: 1 }]);
      const claims = (await batch([], 10)).claims;
      expect(claims.map((c) => c.runId)).toEqual([first]);
      await batch(claims, 0);
      expect(await store.setRunStatus(first, ['running'], 'succeeded')).toBe(true);
      expect((await store.getRun(second))?.status).toBe('running');
      expect((await batch([], 10)).claims.map((c) => c.runId)).toEqual([second]);
      const types = (await store.getEvents(second)).map((e) => e.type);
      expect(types.slice(0, 2)).toEqual(['run:queued', 'run:started']);
    });

    it('queued runs start by priority, then age; a run blocked by another of its gates is passed over', async () => {
      const a = { key: 'workflow:wf', limit: 1 };
      const b = { key: 'key:wf:x', limit: 1 };
      const holderA = await submit([{ id: 's', dependsOn: [] }], { gates: [a] });
      const holderB = await submit([{ id: 's', dependsOn: [] }], { gates: [{ key: 'key:wf:x', limit: 1 }] });
      const blocked = await submit([{ id: 's', dependsOn: [] }], { gates: [a, b], priority: 9 });
      const low = await submit([{ id: 's', dependsOn: [] }], { gates: [a] });
      const high = await submit([{ id: 's', dependsOn: [] }], { gates: [a], priority: 3 });
      await store.setRunStatus(holderA, ['running'], 'failed');
      expect((await store.getRun(blocked))?.status).toBe('queued');
      expect((await store.getRun(high))?.status).toBe('running');
      expect((await store.getRun(low))?.status).toBe('queued');
      await store.setRunStatus(holderB, ['running'], 'succeeded');
      expect((await store.getRun(blocked))?.status).toBe('queued');
      await store.setRunStatus(high, ['running'], 'succeeded');
      expect((await store.getRun(blocked))?.status).toBe('running');
      expect((await store.getRun(low))?.status).toBe('queued');
    });

    it('a queued run cancelled leaves the queue; a retried run queues again behind its gate', async () => {
      const gates = [{ key: 'workflow:wf', limit: 1 }];
      const holder = await submit([{ id: 's', dependsOn: [] }], { gates });
      const waiting = await submit([{ id: 's', dependsOn: [] }], { gates });
      await store.cancelSteps(waiting, 'cancelled by user');
      expect(await store.setRunStatus(waiting, ['queued', 'running'], 'cancelled')).toBe(true);
      expect((await store.getRun(holder))?.status).toBe('running');
      expect((await store.flow(holder)).gates).toEqual([{ key: 'workflow:wf', limit: 1, held: 1, queued: 0 }]);
      await store.resetForRetry(waiting, null);
      expect((await store.getRun(waiting))?.status).toBe('queued');
      expect(await status(waiting)).toEqual({ s: 'pending' });
      await store.setRunStatus(holder, ['running'], 'succeeded');
      expect((await store.getRun(waiting))?.status).toBe('running');
      expect(await status(waiting)).toEqual({ s: 'ready' });
    });

    it('many claimers and submitters at once never hold more slots than the pool has', async () => {
      await store.setPool('db', 2);
      let held = 0;
      let most = 0;
      let done = 0;
      let mostUsed = 0;
      let busy = true;
      // The store's own count, read while it all happens: over-admission shows as used > slots.
      const monitor = async () => {
        while (busy) mostUsed = Math.max(mostUsed, ...(await store.listPools()).map((p) => p.used));
      };
      const submitter = async () => {
        for (let i = 0; i < 5; i++) await submit(pooled(2));
      };
      const claimer = async () => {
        let mine: Claim[] = [];
        for (let round = 0; round < 400 && done < 40; round++) {
          held -= mine.length;
          done += mine.length;
          const r = await batch(mine, 3);
          mine = r.claims;
          held += mine.length;
          most = Math.max(most, held);
        }
        held -= mine.length;
        await batch(mine, 0);
      };
      const watching = monitor();
      await Promise.all([...Array.from({ length: 4 }, submitter), ...Array.from({ length: 4 }, claimer)]);
      busy = false;
      await watching;
      expect(mostUsed).toBeLessThanOrEqual(2);
      expect(most).toBeLessThanOrEqual(2);
      expect(done).toBe(40);
    });
  });
}
