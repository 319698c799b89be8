/**
 * The Scheduler on a real SQLite store and a clock that moves only when the
 * test says: catch-up after downtime, overlap policies, pause and resume,
 * and two schedulers sharing one store firing each due time once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QuietHoursDef } from '../../src/core/quiet-hours.js';
import { DEFAULT_CATCH_UP, DEFAULT_OVERLAP, type CatchUp, type Overlap, type ScheduleDef } from '../../src/core/schedule.js';
import type { Engine } from '../../src/engine/engine.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { Scheduler, STALE_MS } from '../../src/triggers/scheduler.js';
import { ManualClock } from '../helpers/manual-clock.js';

const MIN = 60_000;
let dir: string;
let store: SqliteStore;
let clock: ManualClock;
let started: Array<{ runId: string; dueAt: number }>;
let n = 0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-sched-'));
  clock = new ManualClock(Date.parse('2026-06-01T00:00:30Z'));
  store = new SqliteStore({ path: join(dir, 'baton.db'), clock });
  await store.migrate();
  started = [];
  held = [];
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const engine = () => ({ store, get clockNow() { return clock.now(); }, on: () => () => undefined }) as unknown as Engine;

let held: Array<number | undefined> = [];

function scheduler(s: ScheduleDef, quiet?: QuietHoursDef): Scheduler {
  return new Scheduler({
    engine: engine(),
    workflows: [{ workflow: 'wf', schedules: [s] }],
    quietHoursOf: () => quiet,
    submit: async (workflow, _input, trigger) => {
      held.push(trigger.notBefore);
      const runId = `r${++n}`;
      await store.createRun({ id: runId, workflow, definition: { name: workflow, inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] }, input: {}, steps: [{ id: 'a', dependsOn: [] }] }, null);
      started.push({ runId, dueAt: trigger.dueAt });
      return runId;
    },
    cancel: async (runId, reason) => {
      await store.setRunStatus(runId, ['running'], 'cancelled', { error: reason });
    },
  });
}

const every = (catchUp: CatchUp = DEFAULT_CATCH_UP, overlap: Overlap = { policy: 'allow' }): ScheduleDef => ({
  id: 'e',
  everyMs: MIN,
  timezone: 'UTC',
  jitterMs: 0,
  catchUp,
  overlap,
  input: {},
});
const minutes = () => started.map((s) => new Date(s.dueAt).toISOString().slice(11, 16));
const finishAll = async () => {
  for (const s of started) await store.setRunStatus(s.runId, ['running'], 'succeeded');
};

describe('Scheduler', () => {
  it('fires each due time once, on time, and nothing from before its first start', async () => {
    const sch = scheduler(every());
    await sch.check();
    expect(started).toEqual([]);
    for (let i = 0; i < 3; i++) {
      clock.advance(MIN);
      await sch.check();
      await sch.check();
    }
    expect(minutes()).toEqual(['00:01', '00:02', '00:03']);
  });

  for (const [policy, expected] of [
    [{ policy: 'none' }, ['00:05']],
    [{ policy: 'latest' }, ['00:05', '00:40']],
    [{ policy: 'all', max: 3 }, ['00:05', '00:30', '00:35', '00:40']],
  ] as Array<[CatchUp, string[]]>) {
    it(`after downtime, catch-up ${policy.policy} fires ${expected.length - 1} of the 7 missed`, async () => {
      const five = { ...every(policy), everyMs: 5 * MIN };
      const first = scheduler(five);
      clock.advance(5 * MIN);
      await first.check();
      // Down from 00:05:30 to 00:42:30: 00:10 .. 00:40 were missed (none of them is on time).
      clock.advance(37 * MIN);
      const again = scheduler(five);
      await again.check();
      expect(minutes()).toEqual(expected);
      const skipped = (await store.listFires('wf', 'e', 100)).filter((f) => f.outcome === 'skipped:catch-up');
      expect(skipped).toHaveLength(7 - (expected.length - 1));
    });
  }

  it('a due time less than a minute late is served, whatever the catch-up policy', async () => {
    const first = scheduler(every({ policy: 'none' }));
    clock.advance(MIN);
    await first.check();
    clock.advance(40_000); // 00:02:10: the 00:02 fire is 10 s late
    await scheduler(every({ policy: 'none' })).check();
    expect(minutes()).toEqual(['00:01', '00:02']);
  });

  it('overlap: skip leaves a fire out while a run goes on; queue starts it when the run ends; cancel-previous stops the old one', async () => {
    const skip = scheduler(every(DEFAULT_CATCH_UP, DEFAULT_OVERLAP));
    clock.advance(MIN);
    await skip.check();
    clock.advance(MIN);
    await skip.check();
    expect(minutes()).toEqual(['00:01']);
    expect((await store.listFires('wf', 'e', 10)).map((f) => f.outcome)).toEqual(['skipped:overlap', 'fired']);

    await finishAll();
    started = [];
    const queue = scheduler(every(DEFAULT_CATCH_UP, { policy: 'queue', max: 1 }));
    clock.advance(MIN);
    await queue.check(); // 00:03 fires
    clock.advance(MIN);
    await queue.check(); // 00:04 queued
    clock.advance(MIN);
    await queue.check(); // 00:05: the queue is full
    expect(minutes()).toEqual(['00:03']);
    await finishAll();
    await queue.check(); // the run ended: the queued fire starts
    expect(minutes()).toEqual(['00:03', '00:04']);
    expect((await store.listFires('wf', 'e', 3)).map((f) => f.outcome)).toEqual(['skipped:queue-full', 'fired', 'fired']);

    await finishAll();
    started = [];
    const cancel = scheduler(every(DEFAULT_CATCH_UP, { policy: 'cancel-previous' }));
    clock.advance(MIN);
    await cancel.check();
    clock.advance(MIN);
    await cancel.check();
    expect(minutes()).toEqual(['00:06', '00:07']);
    expect((await store.getRun(started[0]?.runId as string))?.status).toBe('cancelled');
    expect((await store.getRun(started[1]?.runId as string))?.status).toBe('running');
  });

  it('a paused schedule does not fire, and on resume does not catch up the paused time', async () => {
    const sch = scheduler(every(DEFAULT_CATCH_UP, { policy: 'allow' }));
    clock.advance(MIN);
    await sch.check();
    await store.setSchedulePaused({ workflow: 'wf', schedule: 'e', paused: true, changedAt: clock.now() });
    clock.advance(5 * MIN);
    await sch.check();
    await store.setSchedulePaused({ workflow: 'wf', schedule: 'e', paused: false, changedAt: clock.now() });
    await sch.check();
    clock.advance(MIN);
    await sch.check();
    expect(minutes()).toEqual(['00:01', '00:07']);
  });

  it('two schedulers on one store fire each due time once', async () => {
    const a = scheduler(every());
    const b = scheduler(every());
    for (let i = 0; i < 20; i++) {
      clock.advance(MIN);
      await Promise.all([a.check(), b.check()]);
    }
    expect(minutes()).toHaveLength(20);
    expect(new Set(minutes()).size).toBe(20);
  });

  it('a fire left firing by a server that died is taken over once, with the same run id', async () => {
    const sch = scheduler(every());
    clock.advance(MIN);
    await store.claimFire({ workflow: 'wf', schedule: 'e', dueAt: Date.parse('2026-06-01T00:01:00Z'), claimedAt: clock.now(), outcome: 'firing', runId: null });
    await sch.check();
    expect(started).toEqual([]);
    clock.advance(STALE_MS + 1);
    await Promise.all([sch.check(), scheduler(every()).check()]);
    expect(minutes()).toEqual(['00:01']);
    expect((await store.listFires('wf', 'e', 1))[0]).toMatchObject({ outcome: 'fired', runId: started[0]?.runId });
  });

  it('stop claims nothing more, and resolves once the fire it is making has its run and its outcome', async () => {
    let entered!: () => void;
    const inSubmit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sch = new Scheduler({
      engine: engine(),
      workflows: [
        { workflow: 'wf', schedules: [every()] },
        { workflow: 'other', schedules: [every()] },
      ],
      submit: async (workflow) => {
        entered();
        await gate;
        await store.createRun({ id: `r-${workflow}`, workflow, definition: { name: workflow, inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] }, input: {}, steps: [{ id: 'a', dependsOn: [] }] }, null);
        return `r-${workflow}`;
      },
      cancel: async () => undefined,
    });
    clock.advance(MIN);
    sch.wake();
    await inSubmit;
    let settled = false;
    const stopped = sch.stop().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    release();
    await stopped;
    expect((await store.listFires('wf', 'e', 10)).map((f) => [f.outcome, f.runId])).toEqual([['fired', 'r-wf']]);
    expect(await store.listFires('other', 'e', 10)).toEqual([]);
  });

  it('quiet hours: a fire in them is deferred to their end (the run is held), or skipped', async () => {
    // Every day 00:00-00:03 UTC is quiet.
    const window = { days: [], fromMin: 0, toMin: 3, timezone: 'UTC' };
    const defer = scheduler(every(), { action: 'defer', windows: [window] });
    clock.advance(MIN);
    await defer.check();
    expect(minutes()).toEqual(['00:01']);
    expect(held).toEqual([Date.parse('2026-06-01T00:03:00Z')]);
    await finishAll();
    const skip = scheduler({ ...every(), id: 's' }, { action: 'skip', windows: [window] });
    clock.advance(MIN);
    await skip.check();
    expect((await store.listFires('wf', 's', 5)).map((f) => f.outcome)).toEqual(['skipped:quiet']);
    clock.advance(MIN);
    await skip.check();
    expect((await store.listFires('wf', 's', 5)).map((f) => f.outcome)).toEqual(['fired', 'skipped:quiet']);
    expect(held.at(-1)).toBeUndefined();
  });

  it('trigger now fires at once, under the overlap policy', async () => {
    const sch = scheduler(every(DEFAULT_CATCH_UP, DEFAULT_OVERLAP));
    const first = await sch.trigger('wf', every(DEFAULT_CATCH_UP, DEFAULT_OVERLAP));
    expect(first.outcome).toBe('fired');
    clock.advance(10);
    expect((await sch.trigger('wf', every(DEFAULT_CATCH_UP, DEFAULT_OVERLAP))).outcome).toBe('skipped:overlap');
  });
});
