/**
 * The Store's reads in the Store contract, run on every backend unchanged:
 * events and logs, the runs list with its pages and filters, lookup by id
 * prefix, a workflow's history, and the API tokens.
 */
import { describe, expect } from 'vitest';
import type { Claim, Store } from '../../src/store/store.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import { contractKit, DEF, OWNER, type Skip, type StoreFactory } from './contract-kit.js';

export function readsContract(backend: string, factory: StoreFactory, skip: Skip = {}): void {
  describe(`Store contract: ${backend}`, () => {
    let clock: ManualClock;
    let store: Store;
    let n = 0;
    const { t, newRun, claim } = contractKit(factory, skip, (live) => ({ clock, store } = live), () => ++n);

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
  });
}
