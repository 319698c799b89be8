/**
 * Code runs in the Store contract, run on every backend unchanged: their
 * claims and leases for workers, the journal, signals, results, user
 * status, waiting, children, and retry.
 */
import { describe, expect } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import { contractKit, OWNER, type Skip, type StoreFactory } from './contract-kit.js';

const CODE = { kind: 'code' as const, name: 'code' };

export function codeRunContract(backend: string, factory: StoreFactory, skip: Skip = {}): void {
  describe(`Store contract: ${backend}`, () => {
    let clock: ManualClock;
    let store: Store;
    let n = 0;
    const { t } = contractKit(factory, skip, (live) => ({ clock, store } = live), () => ++n);
    const newCodeRun = async (parentId?: string) => {
      const id = `code${++n}`;
      await store.createRun({ id, workflow: 'code', definition: CODE, input: [1, 2], steps: [], ...(parentId ? { parentId } : {}) }, OWNER);
      return id;
    };

    t('code runs for workers: claimed once, leases renewed, lapsed ones taken over, released ones free', async () => {
      const submitted = `code${++n}`;
      await store.createRun({ id: submitted, workflow: 'code', definition: CODE, input: null, steps: [] }, null);
      const embedded = await newCodeRun();
      expect(await store.claimCodeRuns({ owner: 'w:1', limit: 10, leaseMs: 1000 })).toEqual([submitted]);
      expect(await store.claimCodeRuns({ owner: 'w:2', limit: 10, leaseMs: 1000 })).toEqual([]);
      expect(await store.renewRuns([submitted, embedded], 'w:1', 1000)).toEqual([embedded]);
      clock.advance(1001);
      expect(await store.claimCodeRuns({ owner: 'w:2', limit: 10, leaseMs: 1000 })).toEqual([submitted]);
      expect(await store.renewRuns([submitted], 'w:1', 1000)).toEqual([submitted]);
      expect((await store.getRun(submitted))?.leaseUntil).toBe(clock.now() + 1000);
      await store.releaseRun(submitted, 'w:2');
      expect(await store.claimCodeRuns({ owner: 'w:3', limit: 10, leaseMs: 1000 })).toEqual([submitted]);
      await store.setRunStatus(submitted, ['running'], 'succeeded');
      expect(await store.renewRuns([submitted], 'w:3', 1000)).toEqual([submitted]);
    });

    t('journal entries begin and end, in position order, only for the run\'s owner', async () => {
      const run = await newCodeRun();
      expect(await store.beginEntry(run, OWNER, { position: 0, key: 'a', kind: 'step', name: 'a', attempt: 1, status: 'running' })).toBe(true);
      expect(await store.beginEntry(run, 'other:2', { position: 1, key: 'b', kind: 'step', name: 'b', attempt: 1, status: 'running' })).toBe(false);
      expect(await store.endEntry(run, OWNER, 'a', 1, { status: 'retrying', error: 'x', result: '{"name":"Error","message":"x"}', readyAt: clock.now() + 5 })).toBe(true);
      expect(await store.beginEntry(run, OWNER, { position: 0, key: 'a', kind: 'step', name: 'a', attempt: 2, status: 'running' })).toBe(true);
      expect(await store.endEntry(run, 'other:2', 'a', 2, { status: 'succeeded', result: '1' })).toBe(false);
      expect(await store.endEntry(run, OWNER, 'a', 2, { status: 'succeeded', result: '{"v":1}' })).toBe(true);
      expect(await store.endEntry(run, OWNER, 'a', 2, { status: 'succeeded', result: '2' })).toBe(false);
      expect(await store.recordValue(run, OWNER, { position: 1, key: 'now()', name: 'now', result: '123' })).toBe(true);
      expect(await store.beginEntry(run, OWNER, { position: 2, key: 'sleep()', kind: 'sleep', name: 'sleep', attempt: 0, status: 'waiting', readyAt: 99 })).toBe(true);
      const journal = await store.getJournal(run);
      expect(journal.map((e) => [e.position, e.key, e.kind, e.status, e.attempt, e.failures, e.result, e.readyAt])).toEqual([
        [0, 'a', 'step', 'succeeded', 2, 1, '{"v":1}', null],
        [1, 'now()', 'value', 'succeeded', 0, 0, '123', null],
        [2, 'sleep()', 'sleep', 'waiting', 0, 0, null, 99],
      ]);
      expect((await store.getAttempts(run, 'a')).map((x) => x.status)).toEqual(['failed', 'succeeded']);
      expect(await store.endEntry(run, OWNER, 'a', 0, { status: 'compensated' })).toBe(true);
      expect((await store.getJournal(run))[0]?.status).toBe('compensated');
    });

    t('a signal is taken by exactly one wait, oldest first; sent early, it waits', async () => {
      const run = await newCodeRun();
      await store.sendSignal(run, 'go', '"first"');
      await store.sendSignal(run, 'go', '"second"');
      await store.sendSignal(run, 'other', null);
      await store.beginEntry(run, OWNER, { position: 0, key: 'signal(go)', kind: 'signal', name: 'go', attempt: 0, status: 'waiting' });
      await store.beginEntry(run, OWNER, { position: 1, key: 'signal(go)#2', kind: 'signal', name: 'go', attempt: 0, status: 'waiting' });
      // Two takes for one wait race on separate connections: exactly one of them wins, whichever ran first.
      const racing = await Promise.all([
        store.takeSignal(run, OWNER, 'go', 'signal(go)'),
        store.takeSignal(run, OWNER, 'go', 'signal(go)'),
      ]);
      expect(racing.filter((x) => x !== undefined)).toEqual([{ payload: '"first"' }]);
      expect(await store.takeSignal(run, OWNER, 'go', 'signal(go)#2')).toEqual({ payload: '"second"' });
      expect(await store.takeSignal(run, OWNER, 'missing', 'signal(go)#2')).toBeUndefined();
      expect(await store.pendingSignals(run)).toEqual([{ name: 'other', payload: 'null', sentAt: clock.now() }]);
      expect(await store.takeSignal(run, 'other:2', 'other', 'signal(go)')).toBeUndefined();
    });

    t('code runs: result, user status, waiting with a wake-up time, children, exact ids among prefixes', async () => {
      const parent = await newCodeRun();
      const child = `${parent}.0`;
      await store.createRun({ id: child, workflow: 'code', definition: CODE, input: null, steps: [], parentId: parent }, OWNER);
      expect(await store.childRuns(parent)).toEqual([child]);
      expect(await store.findRunId(parent)).toBe(parent);
      await store.setUserStatus(parent, '"halfway"');
      expect(await store.setRunStatus(parent, ['running'], 'waiting', { wakeAt: clock.now() + 1000 })).toBe(true);
      expect(await store.dueRuns(clock.now())).toEqual([]);
      expect(await store.dueRuns(clock.now() + 1000)).toEqual([{ id: parent, wakeAt: clock.now() + 1000 }]);
      expect(await store.setRunStatus(parent, ['waiting'], 'succeeded', { result: '{"ok":true}' })).toBe(true);
      expect(await store.getRunDetail(parent)).toEqual({ result: '{"ok":true}', userStatus: '"halfway"' });
      expect(await store.getRun(child)).toMatchObject({ parentId: parent, input: null, definition: CODE });
    });

    t('retry resets a code run\'s failed, cancelled and compensated entries and keeps its successes', async () => {
      const run = await newCodeRun();
      await store.beginEntry(run, OWNER, { position: 0, key: 'a', kind: 'step', name: 'a', attempt: 1, status: 'running' });
      await store.endEntry(run, OWNER, 'a', 1, { status: 'succeeded', result: '1' });
      await store.beginEntry(run, OWNER, { position: 1, key: 'b', kind: 'step', name: 'b', attempt: 1, status: 'running' });
      await store.endEntry(run, OWNER, 'b', 1, { status: 'failed', error: 'no', result: '{"name":"Error","message":"no"}' });
      await store.recordValue(run, OWNER, { position: 2, key: 'uuid()', name: 'uuid', result: '"u"' });
      await store.setRunStatus(run, ['running'], 'failed', { error: 'b failed' });
      expect((await store.resetForRetry(run, OWNER)).sort()).toEqual(['b']);
      expect((await store.getJournal(run)).map((e) => [e.key, e.status, e.attempt])).toEqual([
        ['a', 'succeeded', 1],
        ['b', 'ready', 1],
        ['uuid()', 'succeeded', 0],
      ]);
      expect(await store.getRun(run)).toMatchObject({ status: 'running', runAttempt: 2 });
    });
  });
}
