/**
 * The Store contract's core: a run's steps through claims, outcomes,
 * fencing, retries, leases, cancel, recovery, rollbacks and the run's own
 * status. Every backend runs it and its sibling parts (reads-, submitted-,
 * code-run-, flow- and worker-contract.ts) unchanged, each one call in the
 * backend's test file: `storeContract('sqlite', factory)`. Known
 * differences go in the `skip` of the part that holds the test, with a reason.
 */
import { describe, expect } from 'vitest';
import type { Claim, Store } from '../../src/store/store.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import { contractKit, LEASE, OWNER, type Skip, type StoreFactory } from './contract-kit.js';

export type { StoreFactory } from './contract-kit.js';

export function storeContract(backend: string, factory: StoreFactory, skip: Skip = {}): void {
  describe(`Store contract: ${backend}`, () => {
    let clock: ManualClock;
    let store: Store;
    let n = 0;
    const { t, newRun, claim, ids, status } = contractKit(factory, skip, (live) => ({ clock, store } = live), () => ++n);

    t('steps without dependencies start ready and are claimed once', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }, { id: 'c', dependsOn: ['a', 'b'] }]);
      const first = await claim(run);
      expect(ids(first)).toEqual(['a', 'b']);
      expect(first.every((c) => c.attempt === 1 && c.failures === 0 && c.depsNotOk === 0)).toBe(true);
      expect(await claim(run)).toEqual([]);
      expect(await status(run)).toEqual({ a: 'running', b: 'running', c: 'pending' });
    });

    t('claims respect the limit', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }, { id: 'c', dependsOn: [] }]);
      expect((await claim(run, 2)).length).toBe(2);
      expect((await claim(run, 2)).length).toBe(1);
    });

    t('a dependent becomes ready only when its last dependency ends', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }, { id: 'c', dependsOn: ['a', 'b'] }]);
      const [a, b] = (await claim(run)).sort((x, y) => x.stepId.localeCompare(y.stepId)) as [Claim, Claim];
      const r1 = await store.finishStep(a, { status: 'succeeded', exitCode: 0, outputs: { v: '1' } });
      expect(r1).toEqual({ accepted: true, openSteps: 2 });
      expect(await claim(run)).toEqual([]);
      await store.finishStep(b, { status: 'succeeded', exitCode: 0 });
      const [c] = await claim(run);
      expect(c?.stepId).toBe('c');
      expect(c?.depsNotOk).toBe(0);
      const r3 = await store.finishStep(c as Claim, { status: 'succeeded' });
      expect(r3.openSteps).toBe(0);
      const outputs = await store.getOutputs(run, ['a']);
      expect(outputs.get('a')).toEqual({ status: 'succeeded', outputs: { v: '1' } });
    });

    t('a stale epoch cannot record an outcome (fencing)', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }]);
      const [first] = await claim(run);
      clock.advance(LEASE + 1);
      expect(await store.sweepExpired()).toBe(1);
      const [second] = await claim(run);
      expect(second?.attempt).toBe(2);
      expect(second?.epoch).toBeGreaterThan(first?.epoch ?? 0);
      expect(await store.finishStep(first as Claim, { status: 'succeeded' })).toMatchObject({ accepted: false });
      expect(await store.finishStep(second as Claim, { status: 'failed', error: 'boom' })).toMatchObject({ accepted: true });
      const attempts = await store.getAttempts(run, 'a');
      expect(attempts.map((x) => x.status)).toEqual(['crashed', 'failed']);
      expect((await store.getSteps(run))[0]).toMatchObject({ status: 'failed', failures: 1, error: 'boom' });
    });

    t('settle facts: the run status fields and its failed tasks, in the steps order', async () => {
      const run = await newRun([{ id: 'z', dependsOn: [] }, { id: 'a', dependsOn: [] }, { id: 'm', dependsOn: [] }, { id: 'r', dependsOn: [] }]);
      const byId = new Map((await claim(run)).map((c) => [c.stepId, c]));
      await store.finishStep(byId.get('z') as Claim, { status: 'failed', error: 'z broke', exitCode: 1 });
      await store.finishStep(byId.get('a') as Claim, { status: 'succeeded' });
      await store.finishStep(byId.get('m') as Claim, { status: 'failed', error: 'm broke', exitCode: 2 });
      await store.finishStep(byId.get('r') as Claim, { status: 'failed', error: 'flaky', exitCode: 1, retryAt: clock.now() + 5000 });
      expect(await store.settleFacts(run)).toEqual({ status: 'running', thenStatus: null, error: null, failedTasks: ['z', 'm'] });
      expect(await store.setRunStatus(run, ['running'], 'compensating', { error: 'tasks z, m failed', thenStatus: 'failed' })).toBe(true);
      expect(await store.settleFacts(run)).toEqual({ status: 'compensating', thenStatus: 'failed', error: 'tasks z, m failed', failedTasks: ['z', 'm'] });
      expect(await store.settleFacts('no-such-run')).toBeUndefined();
    });

    t('an outcome is recorded once', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }]);
      const [a] = await claim(run);
      expect((await store.finishStep(a as Claim, { status: 'succeeded' })).accepted).toBe(true);
      expect((await store.finishStep(a as Claim, { status: 'failed', error: 'late' })).accepted).toBe(false);
      expect(await status(run)).toEqual({ a: 'succeeded', b: 'ready' });
    });

    t('a retrying step is claimable only when due', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }]);
      const [a] = await claim(run);
      await store.finishStep(a as Claim, { status: 'failed', error: 'flaky', exitCode: 1, retryAt: clock.now() + 5000 });
      expect(await status(run)).toEqual({ a: 'retrying' });
      expect(await store.nextDueAt(run)).toBe(clock.now() + 5000);
      expect(await claim(run)).toEqual([]);
      clock.advance(5000);
      const [again] = await claim(run);
      expect(again).toMatchObject({ stepId: 'a', attempt: 2, failures: 1 });
    });

    t('failed and skipped steps release dependents as not ok', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }]);
      const [a] = await claim(run);
      await store.finishStep(a as Claim, { status: 'failed', error: 'x', exitCode: 2 });
      const [b] = await claim(run);
      expect(b).toMatchObject({ stepId: 'b', depsNotOk: 1 });
      const r = await store.finishStep(b as Claim, { status: 'skipped', reason: 'upstream failed' });
      expect(r.openSteps).toBe(1);
      const [c] = await claim(run);
      expect(c).toMatchObject({ stepId: 'c', depsNotOk: 1, attempt: 1 });
      expect(await store.getAttempts(run, 'b')).toEqual([]);
      expect((await store.getSteps(run)).find((s) => s.id === 'b')).toMatchObject({ status: 'skipped', attempt: 0 });
    });

    t('cancel ends every open step and refuses running outcomes', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }]);
      const [a] = await claim(run);
      expect(await store.cancelSteps(run, 'stop')).toEqual(['a']);
      expect(await status(run)).toEqual({ a: 'cancelled', b: 'cancelled' });
      expect((await store.finishStep(a as Claim, { status: 'succeeded' })).accepted).toBe(false);
      expect((await store.getAttempts(run, 'a'))[0]?.status).toBe('cancelled');
    });

    t('recover makes running steps ready again, the lost attempt crashed', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }]);
      const [a] = await claim(run, 1);
      await store.finishStep(a as Claim, { status: 'succeeded' });
      await claim(run, 1);
      expect(await store.recoverRun(run)).toBe(1);
      const [b] = await claim(run);
      expect(b).toMatchObject({ stepId: 'b', attempt: 2, failures: 0 });
      expect((await store.getAttempts(run, 'b')).map((x) => x.status)).toEqual(['crashed', 'running']);
      expect((await store.getEvents(run)).some((e) => e.type === 'step:crashed' && e.stepId === 'b')).toBe(true);
    });

    t('heartbeat keeps a lease; a lost lease is reported', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }]);
      const [a] = await claim(run);
      clock.advance(LEASE - 1000);
      expect(await store.heartbeat([a as Claim], LEASE)).toEqual([]);
      clock.advance(LEASE - 1000);
      expect(await store.sweepExpired()).toBe(0);
      clock.advance(2000);
      expect(await store.sweepExpired()).toBe(1);
      expect(await store.heartbeat([a as Claim], LEASE)).toEqual([a]);
    });

    t('rollbacks run as a chain; a succeeded rollback compensates its task', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }]);
      for (const outcome of [{ status: 'succeeded' }, { status: 'succeeded' }, { status: 'failed', error: 'no' }] as const) {
        const [s] = await claim(run);
        await store.finishStep(s as Claim, outcome);
      }
      const steps = await store.getSteps(run);
      expect(steps.find((s) => s.id === 'b')!.completedSeq).toBeGreaterThan(steps.find((s) => s.id === 'a')!.completedSeq!);
      await store.setRunStatus(run, ['running'], 'compensating', { error: 'c failed', thenStatus: 'failed' });
      await store.addRollbacks(run, ['b', 'a']);
      const [rb] = await claim(run);
      expect(rb).toMatchObject({ stepId: 'b.rollback', kind: 'rollback', target: 'b' });
      expect(await claim(run)).toEqual([]);
      await store.finishStep(rb as Claim, { status: 'failed', error: 'undo failed' });
      const [ra] = await claim(run);
      expect(ra).toMatchObject({ stepId: 'a.rollback', target: 'a' });
      expect((await store.finishStep(ra as Claim, { status: 'succeeded' })).openSteps).toBe(0);
      expect(await status(run)).toMatchObject({ a: 'compensated', b: 'succeeded', c: 'failed' });
      expect((await store.getRun(run))?.thenStatus).toBe('failed');
    });

    t('retry resets what did not succeed and keeps successes', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }, { id: 'd', dependsOn: [] }]);
      const first = await claim(run);
      for (const s of first) await store.finishStep(s, s.stepId === 'a' ? { status: 'succeeded' } : { status: 'failed', error: 'x' });
      const [b] = await claim(run);
      await store.finishStep(b as Claim, { status: 'failed', error: 'b broke' });
      const [c] = await claim(run);
      await store.finishStep(c as Claim, { status: 'skipped', reason: 'upstream' });
      await store.setRunStatus(run, ['running'], 'failed', { error: 'b, d failed' });
      expect((await store.resetForRetry(run, OWNER)).sort()).toEqual(['b', 'c', 'd']);
      expect(await status(run)).toEqual({ a: 'succeeded', b: 'ready', c: 'pending', d: 'ready' });
      const r = await store.getRun(run);
      expect(r).toMatchObject({ status: 'running', runAttempt: 2, finishedAt: null, error: null });
      const again = await claim(run);
      expect(again.find((x) => x.stepId === 'b')).toMatchObject({ attempt: 2, failures: 0 });
    });

    t('run status moves only from the expected states', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }]);
      expect(await store.setRunStatus(run, ['compensating'], 'failed')).toBe(false);
      expect(await store.setRunStatus(run, ['running'], 'succeeded')).toBe(true);
      const r = await store.getRun(run);
      expect(r?.status).toBe('succeeded');
      expect(r?.finishedAt).toBe(clock.now());
    });

    t('many claimers never get the same step twice', async () => {
      const steps = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, dependsOn: [] }));
      const run = await newRun(steps);
      const batches = await Promise.all(Array.from({ length: 20 }, () => claim(run, 15)));
      const all = batches.flat().map((c) => c.stepId);
      expect(all.length).toBe(200);
      expect(new Set(all).size).toBe(200);
    });
  });
}
