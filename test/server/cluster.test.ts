/**
 * Two servers share PostgreSQL and fire three schedules every 2 s (catch-up
 * none, latest, all). One is killed (-9), then the other: a downtime; then
 * both come back. Afterwards a checker reads the store: every due time while
 * a server lived started exactly one run; the due times missed while none
 * lived follow each schedule's catch-up policy. The checker is first shown
 * to catch a duplicated run, a lost fire and a catch-up that broke policy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FireRecord } from '../../src/core/schedule.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { fireRunId } from '../../src/triggers/fires.js';
import { Sandbox, until } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const PERIOD = 2000;
const MARGIN = 1200;
let store: PgStore;

beforeAll(async () => {
  store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dropSchema(schema);
});

interface Facts {
  policy: 'none' | 'latest' | 'all';
  fires: FireRecord[];
  runIds: string[];
  /** When some server lived (ms epoch intervals), and the downtime. */
  up: Array<[number, number]>;
  down: [number, number];
}

/** Problems with one schedule's fires; empty when they are right. */
export function check(f: Facts): string[] {
  const problems: string[] = [];
  const byDue = new Map(f.fires.map((x) => [x.dueAt, x]));
  const seen = new Map<string, number>();
  for (const id of f.runIds) seen.set(id, (seen.get(id) ?? 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`run ${id} appears ${n} times`);
  const fired = f.fires.filter((x) => x.outcome === 'fired');
  for (const x of fired) if (!x.runId || !seen.has(x.runId)) problems.push(`fire ${new Date(x.dueAt).toISOString()} has no run`);
  if (f.runIds.length !== fired.length) problems.push(`${f.runIds.length} runs for ${fired.length} fires`);
  const dues = (from: number, to: number) => {
    const out: number[] = [];
    for (let d = Math.ceil(from / PERIOD) * PERIOD; d <= to; d += PERIOD) out.push(d);
    return out;
  };
  for (const [a, b] of f.up) {
    // A due time just before the servers were stopped may not have been served yet.
    for (const d of dues(a + MARGIN, b - PERIOD)) {
      if (byDue.get(d)?.outcome !== 'fired') problems.push(`due ${new Date(d).toISOString()} while a server lived: ${byDue.get(d)?.outcome ?? 'no fire'}`);
    }
  }
  const missed = dues(f.down[0] + MARGIN, f.down[1] - MARGIN);
  const firedMissed = missed.filter((d) => byDue.get(d)?.outcome === 'fired');
  const want = f.policy === 'none' ? [] : f.policy === 'latest' ? missed.slice(-1) : missed;
  // With latest, the one kept is the newest missed: possibly one inside the margin, so only its count is sure.
  if (f.policy === 'latest' ? firedMissed.length > 1 : firedMissed.join() !== want.join()) {
    problems.push(`catch-up ${f.policy}: ${firedMissed.length} of ${missed.length} missed fired (expected ${want.length})`);
  }
  return problems;
}

describe('schedules on two servers sharing PostgreSQL', () => {
  it('the checker catches a duplicated run, a lost fire and a catch-up against policy', () => {
    const t0 = 1_000_000_000_000;
    const good: Facts = { policy: 'none', fires: [], runIds: [], up: [[t0, t0 + 10_000]], down: [t0 + 10_000, t0 + 16_000] };
    for (let d = t0 + 2000; d <= t0 + 8000; d += PERIOD) {
      good.fires.push({ workflow: 'w', schedule: 's', dueAt: d, claimedAt: d, outcome: 'fired', runId: `r${d}` });
      good.runIds.push(`r${d}`);
    }
    for (let d = t0 + 12_000; d <= t0 + 14_000; d += PERIOD) good.fires.push({ workflow: 'w', schedule: 's', dueAt: d, claimedAt: d, outcome: 'skipped:catch-up', runId: null });
    expect(check(good)).toEqual([]);
    expect(check({ ...good, runIds: [...good.runIds, good.runIds[0] as string] })).not.toEqual([]);
    expect(check({ ...good, fires: good.fires.filter((x) => x.dueAt !== t0 + 4000), runIds: good.runIds.filter((r) => r !== `r${t0 + 4000}`) })).not.toEqual([]);
    const caughtUp = good.fires.map((x) => (x.outcome === 'fired' ? x : { ...x, outcome: 'fired' as const, runId: `r${x.dueAt}` }));
    expect(check({ ...good, fires: caughtUp, runIds: caughtUp.map((x) => x.runId as string) })).not.toEqual([]);
  });

  it('every due time fires once while a server lives; missed ones follow the catch-up policy', async () => {
    const box = new Sandbox();
    const policies = { none: 'none', latest: 'latest', all: '{ policy: all, max: 100 }' } as const;
    for (const [name, policy] of Object.entries(policies)) {
      writeFileSync(join(box.dir, `c-${name}.yaml`), `name: c-${name}\non:\n  schedule: { every: 2s, catchUp: ${policy}, overlap: allow }\ntasks:\n  - id: a\n    command: "true"\n`);
    }
    const servers: Array<ReturnType<Sandbox['start']>> = [];
    const start = async (home: string) => {
      const s = box.start(['server', box.dir, '--db', DB, '--port', '0', '--home', join(box.dir, home)]);
      servers.push(s);
      await until(() => /listening on/.test(s.output()), 20_000);
      return s;
    };
    try {
      const x = await start('.x');
      const y = await start('.y');
      const upFrom = Date.now();
      await new Promise((r) => setTimeout(r, 6000));
      x.child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 4000));
      y.child.kill('SIGKILL');
      const downFrom = Date.now();
      await new Promise((r) => setTimeout(r, 7000));
      const x2 = await start('.x');
      const downTo = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      const y2 = await start('.y');
      await new Promise((r) => setTimeout(r, 5000));
      const upTo = Date.now();
      x2.child.kill('SIGTERM');
      y2.child.kill('SIGTERM');
      await Promise.all([x2.done, y2.done]);
      const report: string[] = [];
      for (const policy of Object.keys(policies) as Array<Facts['policy']>) {
        const all = await store.listFires(`c-${policy}`, 'schedule-1', 10_000);
        const fires = all.filter((f) => f.dueAt <= upTo);
        // A due time between upTo and the servers' stop may still fire; its run is left out with its fire.
        const late = new Set(all.filter((f) => f.dueAt > upTo).map((f) => fireRunId(`c-${policy}`, 'schedule-1', f.dueAt)));
        const runIds = (await store.listRuns({ workflow: `c-${policy}`, limit: 10_000 })).map((r) => r.id).filter((id) => !late.has(id));
        const problems = check({ policy, fires, runIds, up: [[upFrom, downFrom], [downTo, upTo]], down: [downFrom, downTo] });
        report.push(...problems.map((p) => `c-${policy}: ${p}`));
        expect(fires.filter((f) => f.outcome === 'fired').length).toBeGreaterThan(8);
      }
      expect(report).toEqual([]);
    } finally {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      box.remove();
    }
  }, 90_000);
});
