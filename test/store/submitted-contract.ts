/**
 * Runs submitted for workers (no owner) in the Store contract, run on every
 * backend unchanged: claims across runs, oldest first, with the next retry's
 * time; the batched round trip of outcomes and claims; claims given back;
 * and a run whose steps all ended but which nobody settled.
 */
import { describe, expect } from 'vitest';
import type { Claim, NewStep, Store } from '../../src/store/store.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import { contractKit, DEF, LEASE, OWNER, type Skip, type StoreFactory } from './contract-kit.js';

export function submittedContract(backend: string, factory: StoreFactory, skip: Skip = {}): void {
  describe(`Store contract: ${backend}`, () => {
    let clock: ManualClock;
    let store: Store;
    let n = 0;
    const { t, newRun, claimAny, nextDueAny, status } = contractKit(factory, skip, (live) => ({ clock, store } = live), () => ++n);

    t('a worker claims ready steps of any run submitted for workers, oldest first, and learns the next retry', async () => {
      const submit = async (steps: NewStep[]) => {
        const id = `run${++n}`;
        await store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps }, null);
        return id;
      };
      await newRun([{ id: 'driven', dependsOn: [] }]);
      const r1 = await submit([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }]);
      clock.advance(10);
      const r2 = await submit([{ id: 'x', dependsOn: [] }]);
      const first = await claimAny(1);
      expect(first.map((c) => [c.runId, c.stepId])).toEqual([[r1, 'a']]);
      const rest = await claimAny(10);
      expect(rest.map((c) => [c.runId, c.stepId])).toEqual([[r2, 'x']]);
      expect(await nextDueAny()).toBeNull();
      await store.finishStep(rest[0] as Claim, { status: 'failed', error: 'x', retryAt: clock.now() + 500 });
      expect(await nextDueAny()).toBe(clock.now() + 500);
      expect(await claimAny(10)).toEqual([]);
      await store.finishStep(first[0] as Claim, { status: 'succeeded' });
      clock.advance(500);
      const next = await claimAny(10);
      expect(next.map((c) => [c.runId, c.stepId, c.attempt]).sort()).toEqual([
        [r1, 'b', 1],
        [r2, 'x', 2],
      ]);
    });

    t('claims given back are takeable at once, as if never claimed, and record nothing', async () => {
      const run = `run${++n}`;
      await store.createRun({ id: run, workflow: 'wf', definition: DEF, input: {}, steps: [{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }, { id: 'c', dependsOn: [] }] }, null);
      const [a, b, c] = (await claimAny(3)).sort((x, y) => x.stepId.localeCompare(y.stepId)) as [Claim, Claim, Claim];
      // b fails and waits for a retry: its second claim is given back; c's lease lapses and another worker holds it.
      await store.finishStep(b, { status: 'failed', exitCode: 1, error: 'boom', retryAt: clock.now() });
      const [b2] = await claimAny(1);
      expect(b2).toMatchObject({ stepId: 'b', attempt: 2 });
      clock.advance(LEASE - 1000);
      expect(await store.heartbeat([a, b2 as Claim], LEASE)).toEqual([]);
      clock.advance(2000);
      expect(await store.sweepExpired()).toBe(1);
      const [c2] = await store.stepBatch({ finishes: [], claim: { owner: 'w:2', limit: 1, leaseMs: LEASE } }).then((r) => r.claims);
      expect(c2).toMatchObject({ stepId: 'c', attempt: 2 });
      const back = await store.returnClaims([a, b2 as Claim, c]);
      expect(back.map((x) => x.stepId)).toEqual(['a', 'b']);
      expect(await status(run)).toEqual({ a: 'ready', b: 'retrying', c: 'running' });
      expect((await store.getSteps(run)).map((x) => [x.id, x.attempt, x.startedAt === null])).toEqual([['a', 0, true], ['b', 1, false], ['c', 2, false]]);
      expect((await store.getAttempts(run, 'a')).length).toBe(0);
      expect((await store.getAttempts(run, 'b')).map((x) => [x.attempt, x.status])).toEqual([[1, 'failed']]);
      expect((await store.getEvents(run)).filter((e) => e.type === 'step:returned').map((e) => [e.stepId, e.attempt])).toEqual([['a', 1], ['b', 2]]);
      // Given back again (or late): nothing; the old claims can record nothing, and their steps are claimed as before.
      expect(await store.returnClaims([a])).toEqual([]);
      expect(await store.finishStep(a, { status: 'succeeded', exitCode: 0 })).toMatchObject({ accepted: false });
      const again = (await claimAny(5)).sort((x, y) => x.stepId.localeCompare(y.stepId));
      expect(again.map((x) => `${x.stepId}/${x.attempt}`)).toEqual(['a/1', 'b/2']);
      expect(again[0]?.epoch).toBeGreaterThan(a.epoch);
      expect(await store.finishStep(again[0] as Claim, { status: 'succeeded', exitCode: 0 })).toMatchObject({ accepted: true, openSteps: 2 });
      expect((await store.getAttempts(run, 'a')).map((x) => [x.attempt, x.status])).toEqual([[1, 'succeeded']]);
    });

    t('a worker round trip records its outcomes and claims what they released, in one call', async () => {
      const submit = async (steps: NewStep[]) => {
        const id = `run${++n}`;
        await store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps }, null);
        return id;
      };
      const chain = await submit([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }]);
      const other = await submit([{ id: 'x', dependsOn: [] }, { id: 'y', dependsOn: [] }]);
      const req = (limit: number) => ({ owner: OWNER, limit, leaseMs: LEASE });
      const first = await store.stepBatch({ finishes: [], claim: req(2) });
      expect(first.finished).toEqual([]);
      expect(first.claims.map((c) => [c.runId, c.stepId])).toEqual([[chain, 'a'], [other, 'x']]);
      const [a, x] = first.claims as [Claim, Claim];
      expect((await store.leasedSteps(OWNER)).map((c) => `${c.runId}/${c.stepId}/${c.epoch}`).sort()).toEqual([`${chain}/a/${a.epoch}`, `${other}/x/${x.epoch}`]);
      // x's lease lapses and another worker takes x (and y): x's outcome from here is refused; a's is recorded and releases b.
      clock.advance(LEASE + 1);
      expect(await store.heartbeat([a], LEASE)).toEqual([]);
      expect(await store.sweepExpired()).toBe(1);
      const elsewhere = await store.stepBatch({ finishes: [], claim: { owner: 'w:2', limit: 5, leaseMs: LEASE } });
      expect(elsewhere.claims.map((c) => `${c.stepId}/${c.attempt}`).sort()).toEqual(['x/2', 'y/1']);
      const second = await store.stepBatch({
        finishes: [
          { claim: a, outcome: { status: 'succeeded', exitCode: 0 } },
          { claim: x, outcome: { status: 'succeeded', exitCode: 0 } },
        ],
        claim: req(3),
      });
      expect(second.finished).toEqual([
        { accepted: true, openSteps: 2 },
        { accepted: false, openSteps: expect.any(Number) as number },
      ]);
      expect(second.claims.map((c) => `${c.runId}/${c.stepId}/${c.attempt}`)).toEqual([`${chain}/b/1`]);
      expect((await store.getAttempts(chain, 'b')).map((t) => [t.attempt, t.status, t.owner])).toEqual([[1, 'running', OWNER]]);
      expect(second.nextDue).toBeNull();
      const y = elsewhere.claims.find((c) => c.stepId === 'y') as Claim;
      const byStep = new Map([...second.claims, y].map((c) => [c.stepId, c]));
      // b fails with a retry due later; y succeeds; nothing is left to claim, and the retry's time comes back.
      const third = await store.stepBatch({
        finishes: [
          { claim: byStep.get('b') as Claim, outcome: { status: 'failed', exitCode: 1, error: 'boom', retryAt: clock.now() + 700 } },
          { claim: byStep.get('y') as Claim, outcome: { status: 'succeeded', exitCode: 0 } },
        ],
        claim: req(5),
      });
      expect(third.finished).toEqual([
        { accepted: true, openSteps: 2 },
        { accepted: true, openSteps: 1 },
      ]);
      expect(third.claims).toEqual([]);
      expect(third.nextDue).toBe(clock.now() + 700);
      expect(await status(chain)).toEqual({ a: 'succeeded', b: 'retrying', c: 'pending' });
      expect((await store.getAttempts(other, 'x')).map((t) => t.status)).toEqual(['crashed', 'running']);
    });

    t('a submitted run whose steps all ended unsettled is found once it has been quiet', async () => {
      const id = `run${++n}`;
      await store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps: [{ id: 'a', dependsOn: [] }] }, null);
      const [a] = await claimAny(1);
      expect(await store.unsettledRuns(10, clock.now() + 1)).toEqual([]);
      await store.finishStep(a as Claim, { status: 'succeeded' });
      expect(await store.unsettledRuns(10, clock.now())).toEqual([]);
      clock.advance(100);
      expect(await store.unsettledRuns(10, clock.now())).toEqual([id]);
      await store.setRunStatus(id, ['running'], 'succeeded');
      expect(await store.unsettledRuns(10, clock.now() + 1000)).toEqual([]);
    });
  });
}
