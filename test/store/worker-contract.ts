/**
 * The worker registry's part of the Store contract (core/workers.ts), run
 * on every backend unchanged: registration, heartbeats folded into the
 * lease heartbeat, the steps and code runs each worker holds, lost and
 * stopped workers, and the pruning of old rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDef } from '../../src/core/model.js';
import type { WorkerInfo, WorkerView } from '../../src/core/workers.js';
import type { Claim, Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { StoreFactory } from './contract.js';

const DEF: WorkflowDef = { name: 'wf', inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] };
const LEASE = 10_000;
const DAY = 24 * 60 * 60 * 1000;

const worker = (id: string, extra: Partial<WorkerInfo> = {}): WorkerInfo => ({ id, host: id.split(':')[0] as string, pid: Number(id.split(':')[1]), capacity: 4, leaseMs: LEASE, ...extra });

export function workerContract(backend: string, factory: StoreFactory): void {
  describe(`Store contract, worker registry: ${backend}`, () => {
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

    const listed = async () => (await store.listWorkers()).workers;
    const byId = async (id: string) => (await listed()).find((w) => w.id === id) as WorkerView;
    const states = async () => Object.fromEntries((await listed()).map((w) => [w.id, w.state]));
    /** A run for workers (no owner), as a server submits it; `owner` claims its steps. */
    const claimed = async (owner: string, steps: string[]) => {
      const id = `run${++n}`;
      await store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps: steps.map((s) => ({ id: s, dependsOn: [] })) }, null);
      return (await store.stepBatch({ finishes: [], claim: { owner, limit: steps.length, leaseMs: LEASE } })).claims;
    };

    it('a registered worker is listed live, with what it said of itself, on the store clock', async () => {
      await store.registerWorker(worker('alpha:7', { capacity: 3, version: '1.2.3' }));
      const list = await store.listWorkers();
      expect(list.now).toBe(clock.now());
      expect(list.workers).toEqual([
        { id: 'alpha:7', host: 'alpha', pid: 7, capacity: 3, leaseMs: LEASE, version: '1.2.3', startedAt: clock.now(), seenAt: clock.now(), stoppedAt: null, state: 'live', held: [], heldRuns: [] },
      ]);
    });

    it('the lease heartbeat marks its worker seen, with or without claims; without the worker it marks none', async () => {
      await store.registerWorker(worker('alpha:1'));
      const started = clock.now();
      clock.advance(3000);
      expect(await store.heartbeat([], LEASE, 'alpha:1')).toEqual([]);
      expect(await byId('alpha:1')).toMatchObject({ startedAt: started, seenAt: started + 3000 });
      const [a] = await claimed('alpha:1', ['a']);
      clock.advance(3000);
      expect(await store.heartbeat([a as Claim], LEASE, 'alpha:1')).toEqual([]);
      expect((await byId('alpha:1')).seenAt).toBe(started + 6000);
      clock.advance(3000);
      expect(await store.heartbeat([a as Claim], LEASE)).toEqual([]);
      expect((await byId('alpha:1')).seenAt).toBe(started + 6000);
    });

    it('lists the steps each worker holds, with the start of their attempt; they leave its list when they end', async () => {
      await store.registerWorker(worker('alpha:1'));
      await store.registerWorker(worker('beta:2'));
      const at = clock.now();
      const [a, b] = await claimed('alpha:1', ['a', 'b']);
      clock.advance(500);
      const [c] = await claimed('beta:2', ['c']);
      const alpha = await byId('alpha:1');
      expect(alpha.held).toEqual([
        { runId: a?.runId, workflow: 'wf', stepId: 'a', kind: 'task', attempt: 1, startedAt: at },
        { runId: b?.runId, workflow: 'wf', stepId: 'b', kind: 'task', attempt: 1, startedAt: at },
      ]);
      expect((await byId('beta:2')).held).toEqual([{ runId: c?.runId, workflow: 'wf', stepId: 'c', kind: 'task', attempt: 1, startedAt: at + 500 }]);
      await store.stepBatch({ finishes: [{ claim: a as Claim, outcome: { status: 'succeeded' } }], claim: { owner: 'alpha:1', limit: 0, leaseMs: LEASE } });
      expect((await byId('alpha:1')).held.map((s) => s.stepId)).toEqual(['b']);
      await store.finishStep(b as Claim, { status: 'failed', error: 'no' });
      expect((await byId('alpha:1')).held).toEqual([]);
      expect((await byId('beta:2')).held).toHaveLength(1);
    });

    it('a step taken back from a lost worker and claimed by another moves to that one, at its next attempt', async () => {
      await store.registerWorker(worker('alpha:1'));
      await store.registerWorker(worker('beta:2'));
      const [a] = await claimed('alpha:1', ['a']);
      clock.advance(LEASE + 1);
      await store.heartbeat([], LEASE, 'beta:2');
      expect(await states()).toEqual({ 'alpha:1': 'lost', 'beta:2': 'live' });
      // Lost, and still listed with the step until a sweeper takes it back.
      expect((await byId('alpha:1')).held.map((s) => s.stepId)).toEqual(['a']);
      expect(await store.sweepExpired()).toBe(1);
      expect((await byId('alpha:1')).held).toEqual([]);
      const [again] = (await store.stepBatch({ finishes: [], claim: { owner: 'beta:2', limit: 1, leaseMs: LEASE } })).claims;
      expect(again).toMatchObject({ runId: a?.runId, stepId: 'a', attempt: 2 });
      expect((await byId('beta:2')).held).toEqual([{ runId: a?.runId, workflow: 'wf', stepId: 'a', kind: 'task', attempt: 2, startedAt: clock.now() }]);
    });

    it('lists the code runs a worker holds, until it releases them', async () => {
      await store.registerWorker(worker('alpha:1'));
      await store.createRun({ id: 'code1', workflow: 'order', definition: { kind: 'code', name: 'order' }, input: null, steps: [] }, null);
      expect(await store.claimCodeRuns({ owner: 'alpha:1', limit: 5, leaseMs: LEASE })).toEqual(['code1']);
      expect((await byId('alpha:1')).heldRuns).toEqual([{ runId: 'code1', workflow: 'order', status: 'running' }]);
      await store.releaseRun('code1', 'alpha:1');
      expect((await byId('alpha:1')).heldRuns).toEqual([]);
    });

    it('a worker not seen for longer than its lease is lost; a beat makes it live again', async () => {
      await store.registerWorker(worker('alpha:1'));
      await store.registerWorker(worker('slow:2', { leaseMs: 3 * LEASE }));
      clock.advance(LEASE);
      expect(await states()).toEqual({ 'alpha:1': 'live', 'slow:2': 'live' });
      clock.advance(1);
      expect(await states()).toEqual({ 'alpha:1': 'lost', 'slow:2': 'live' });
      await store.heartbeat([], LEASE, 'alpha:1');
      expect(await states()).toEqual({ 'alpha:1': 'live', 'slow:2': 'live' });
    });

    it('lists live workers first, then lost, then stopped; by host within each', async () => {
      for (const id of ['old:1', 'lost:2', 'zed:3', 'b-live:4', 'a-live:5', 'done:6']) await store.registerWorker(worker(id));
      clock.advance(LEASE + 1);
      for (const id of ['zed:3', 'b-live:4', 'a-live:5']) await store.heartbeat([], LEASE, id);
      await store.stopWorker('done:6');
      await store.stopWorker('old:1');
      const list = await listed();
      expect(list.map((w) => `${w.id} ${w.state}`)).toEqual(['a-live:5 live', 'b-live:4 live', 'zed:3 live', 'lost:2 lost', 'done:6 stopped', 'old:1 stopped']);
      expect(list.find((w) => w.id === 'done:6')?.stoppedAt).toBe(clock.now());
      // A stopped worker's row is not revived by a late beat.
      await store.heartbeat([], LEASE, 'done:6');
      expect((await byId('done:6')).state).toBe('stopped');
    });

    it('a worker registering again under the same id (the same host and pid) starts afresh', async () => {
      await store.registerWorker(worker('alpha:1', { capacity: 2 }));
      await store.stopWorker('alpha:1');
      clock.advance(5000);
      await store.registerWorker(worker('alpha:1', { capacity: 6 }));
      expect(await listed()).toEqual([expect.objectContaining({ id: 'alpha:1', capacity: 6, startedAt: clock.now(), seenAt: clock.now(), stoppedAt: null, state: 'live' })]);
    });

    it('rows of workers stopped or lost for over a day are removed when a worker registers; the rest stay', async () => {
      await store.registerWorker(worker('stopped:1'));
      await store.registerWorker(worker('lost:2'));
      await store.registerWorker(worker('live:3'));
      await store.registerWorker(worker('recent:4'));
      await store.stopWorker('stopped:1');
      clock.advance(DAY - 1000);
      await store.heartbeat([], LEASE, 'live:3');
      await store.heartbeat([], LEASE, 'recent:4');
      await store.stopWorker('recent:4');
      clock.advance(2000);
      await store.heartbeat([], LEASE, 'live:3');
      await store.registerWorker(worker('new:5'));
      expect(await states()).toEqual({ 'live:3': 'live', 'new:5': 'live', 'recent:4': 'stopped' });
    });

    it('lists at most `limit` workers, live ones first', async () => {
      for (let i = 0; i < 5; i++) await store.registerWorker(worker(`gone:${i}`));
      for (let i = 0; i < 5; i++) await store.stopWorker(`gone:${i}`);
      clock.advance(1000);
      await store.registerWorker(worker('live:9'));
      const { workers } = await store.listWorkers(3);
      expect(workers.map((w) => w.state)).toEqual(['live', 'stopped', 'stopped']);
      expect(workers[0]?.id).toBe('live:9');
    });
  });
}
