/**
 * The Store contract: every backend runs this suite unchanged. A backend's
 * test file is one call: `storeContract('sqlite', factory)`. Known
 * differences go in `skip` with a reason.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDef } from '../../src/core/model.js';
import type { Claim, NewStep, Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/manual-clock.js';

export type StoreFactory = (clock: ManualClock) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const DEF: WorkflowDef = { name: 'wf', inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] };
const OWNER = 'host:1';
const LEASE = 30_000;

export function storeContract(backend: string, factory: StoreFactory, skip: Record<string, string> = {}): void {
  describe(`Store contract: ${backend}`, () => {
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

    const t = (name: string, fn: () => Promise<void>) => (skip[name] ? it.skip(`${name} (${skip[name]})`, fn) : it(name, fn));
    const newRun = async (steps: NewStep[]) => {
      const id = `run${++n}`;
      await store.createRun({ id, workflow: 'wf', definition: DEF, input: { a: 1 }, steps }, OWNER);
      return id;
    };
    const claim = (runId: string, limit = 10) => store.claimSteps({ runId, owner: OWNER, limit, leaseMs: LEASE });
    // A worker's claim of ready steps of any run submitted for workers: a round trip with nothing to record.
    const claimAny = async (limit: number) => (await store.stepBatch({ finishes: [], claim: { owner: OWNER, limit, leaseMs: LEASE } })).claims;
    const nextDueAny = async () => (await store.stepBatch({ finishes: [], claim: { owner: OWNER, limit: 1, leaseMs: LEASE } })).nextDue;
    const ids = (claims: Claim[]) => claims.map((c) => c.stepId).sort();
    const status = async (runId: string) => Object.fromEntries((await store.getSteps(runId)).map((s) => [s.id, s.status]));

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

    t('events and logs keep their order and filters', async () => {
      const run = await newRun([{ id: 'a', dependsOn: [] }]);
      const [a] = await claim(run);
      await store.appendLogs([
        { runId: run, stepId: 'a', attempt: 1, stream: 'stdout', at: 1, line: 'one' },
        { runId: run, stepId: 'a', attempt: 1, stream: 'stderr', at: 2, line: 'two' },
        { runId: run, stepId: 'a', attempt: 2, stream: 'stdout', at: 3, line: 'three' },
      ]);
      await store.finishStep(a as Claim, { status: 'succeeded', exitCode: 0 });
      expect((await store.getLogs({ runId: run })).map((l) => l.line)).toEqual(['one', 'two', 'three']);
      expect((await store.getLogs({ runId: run, stepId: 'a', attempt: 2 })).map((l) => l.line)).toEqual(['three']);
      const events = await store.getEvents(run);
      expect(events.map((e) => e.type)).toEqual(['run:started', 'step:started', 'step:succeeded']);
      expect(await store.getEvents(run, events[0]!.seq)).toHaveLength(2);
    });

    t('runs list newest first, page, filter, and resolve by prefix', async () => {
      const a = await newRun([{ id: 'x', dependsOn: [] }]);
      clock.advance(10);
      const b = await newRun([{ id: 'x', dependsOn: [] }]);
      await store.setRunStatus(a, ['running'], 'failed');
      expect((await store.listRuns()).map((r) => r.id)).toEqual([b, a]);
      expect((await store.listRuns({ before: b })).map((r) => r.id)).toEqual([a]);
      expect((await store.listRuns({ status: 'failed' })).map((r) => r.id)).toEqual([a]);
      expect(await store.findRunId(b)).toBe(b);
      await expect(store.findRunId('run')).rejects.toThrow(/ambiguous/);
      expect(await store.findRunId('zzz')).toBeUndefined();
      const got = await store.getRun(a);
      expect(got).toMatchObject({ workflow: 'wf', input: { a: 1 }, definition: DEF });
    });

    t('a workflow\'s history: its latest runs, their attempts and their tasks', async () => {
      // Run 1: a takes 100 ms, b fails once (40 ms), waits 300 ms past its backoff, then takes 60 ms.
      const one = await newRun([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }]);
      const [a, b] = (await claim(one)).sort((x, y) => x.stepId.localeCompare(y.stepId)) as [Claim, Claim];
      clock.advance(40);
      await store.finishStep(b, { status: 'failed', exitCode: 1, error: 'flaky', retryAt: clock.now() + 500 });
      clock.advance(60);
      await store.finishStep(a, { status: 'succeeded', exitCode: 0 });
      clock.advance(400 + 300);
      const [b2] = await claim(one);
      expect(b2?.attempt).toBe(2);
      clock.advance(60);
      await store.finishStep(b2 as Claim, { status: 'succeeded', exitCode: 0 });
      await store.setRunStatus(one, ['running'], 'succeeded');
      // Run 2, still going: a running. Another workflow's run is not counted.
      clock.advance(1000);
      const two = await newRun([{ id: 'a', dependsOn: [] }]);
      await claim(two);
      await store.createRun({ id: `other${++n}`, workflow: 'other', definition: DEF, input: {}, steps: [{ id: 'z', dependsOn: [] }] }, OWNER);
      const h = await store.workflowHistory('wf', 10);
      expect(h.runs.map((r) => r.status)).toEqual(['running', 'succeeded']);
      const attempts = h.attempts.map((x) => `${x.stepId}#${x.attempt}:${x.status}:${x.finishedAt === null ? 'open' : x.finishedAt - x.startedAt}`).sort();
      expect(attempts).toEqual(['a#1:running:open', 'a#1:succeeded:100', 'b#1:failed:40', 'b#2:succeeded:60']);
      const tasks = h.tasks.filter((x) => x.runId === one).sort((x, y) => x.id.localeCompare(y.id));
      expect(tasks.map((x) => ({ id: x.id, dependsOn: x.dependsOn, took: (x.finishedAt as number) - (x.startedAt as number) }))).toEqual([
        { id: 'a', dependsOn: [], took: 100 },
        { id: 'b', dependsOn: [], took: 100 + 700 + 60 },
      ]);
      expect(h.runs.map((r) => r.id)).toEqual([two, one]);
      expect((await store.workflowHistory('wf', 1)).runs.map((r) => r.status)).toEqual(['running']);
      expect((await store.workflowHistory('nothing', 10)).attempts).toEqual([]);
    });

    t('runs filter by creation time, by id prefix or input text, and by what started them', async () => {
      const manual = await newRun([{ id: 'x', dependsOn: [] }]);
      const t0 = clock.now();
      clock.advance(1000);
      const scheduled = `sched${++n}`;
      await store.createRun({ id: scheduled, workflow: 'wf', definition: DEF, input: { note: 'Nightly 50%_done' }, steps: [{ id: 'x', dependsOn: [] }], trigger: 'schedule' }, OWNER);
      clock.advance(1000);
      const evented = `evented${++n}`;
      await store.createRun({ id: evented, workflow: 'wf', definition: DEF, input: {}, steps: [{ id: 'x', dependsOn: [] }], trigger: 'event' }, OWNER);
      clock.advance(1000);
      const child = `child${++n}`;
      await store.createRun({ id: child, workflow: 'wf', definition: DEF, input: {}, steps: [{ id: 'x', dependsOn: [] }], parentId: manual }, OWNER);
      const ids = async (q: Parameters<Store['listRuns']>[0]) => (await store.listRuns(q)).map((r) => r.id);
      expect((await store.listRuns()).map((r) => `${r.id}:${r.trigger}`)).toEqual([`${child}:parent`, `${evented}:event`, `${scheduled}:schedule`, `${manual}:manual`]);
      expect(await ids({ trigger: 'schedule' })).toEqual([scheduled]);
      expect(await ids({ trigger: 'manual' })).toEqual([manual]);
      expect(await ids({ trigger: 'parent' })).toEqual([child]);
      expect((await store.getRun(evented))?.trigger).toBe('event');
      expect(await ids({ since: t0 + 1000, until: t0 + 2000 })).toEqual([scheduled]);
      expect(await ids({ since: t0 + 2000 })).toEqual([child, evented]);
      expect(await ids({ until: t0 + 1 })).toEqual([manual]);
      expect(await ids({ search: 'SCHED' })).toEqual([scheduled]);
      expect(await ids({ search: 'nightly 50%_' })).toEqual([scheduled]);
      // LIKE wildcards in the text are literal (unescaped, "%" would match " 50%_").
      expect(await ids({ search: 'Nightly%done' })).toEqual([]);
      expect(await ids({ search: '_' })).toEqual([scheduled]);
    });

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

    t('tokens: kept by id with their hash and role, listed newest first, revoked once', async () => {
      await store.addToken({ id: 'tk1', name: 'first', role: 'admin', hash: 'h1', createdAt: 1000, revokedAt: null });
      await store.addToken({ id: 'tk2', name: 'ci', role: 'operator', hash: 'h2', createdAt: 2000, revokedAt: null });
      await expect(store.addToken({ id: 'tk1', name: 'again', role: 'viewer', hash: 'h3', createdAt: 3000, revokedAt: null })).rejects.toThrow();
      expect(await store.getToken('tk2')).toEqual({ id: 'tk2', name: 'ci', role: 'operator', hash: 'h2', createdAt: 2000, revokedAt: null });
      expect(await store.getToken('nope')).toBeUndefined();
      expect((await store.listTokens()).map((k) => k.id)).toEqual(['tk2', 'tk1']);
      expect(await store.revokeToken('tk2', 5000)).toBe(true);
      expect(await store.revokeToken('tk2', 6000)).toBe(false);
      expect(await store.revokeToken('nope', 6000)).toBe(false);
      expect((await store.getToken('tk2'))?.revokedAt).toBe(5000);
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

    t('many claimers never get the same step twice', async () => {
      const steps = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, dependsOn: [] }));
      const run = await newRun(steps);
      const batches = await Promise.all(Array.from({ length: 20 }, () => claim(run, 15)));
      const all = batches.flat().map((c) => c.stepId);
      expect(all.length).toBe(200);
      expect(new Set(all).size).toBe(200);
    });

    // ---- code runs: the journal, signals ----
    const CODE = { kind: 'code' as const, name: 'code' };
    const newCodeRun = async (parentId?: string) => {
      const id = `code${++n}`;
      await store.createRun({ id, workflow: 'code', definition: CODE, input: [1, 2], steps: [], ...(parentId ? { parentId } : {}) }, OWNER);
      return id;
    };

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
