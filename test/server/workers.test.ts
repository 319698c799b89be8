/**
 * The worker registry as a user meets it: `baton server --db` and two
 * `baton worker` processes on PostgreSQL, read over GET /api/workers. A run
 * with a long step: every process is listed live, the step held by exactly
 * one of them; that one is killed (-9) and is listed lost once its lease
 * has lapsed, while its step moves to a live one; the other worker gets
 * SIGTERM and is listed stopped, and so is the server's own after its own.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerList, WorkerView } from '../../src/core/workers.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { processesWith, Sandbox, until } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const LEASE_MS = 2000;
// Long on its first attempt (the one a killed worker holds), short when taken over.
const STEP = 'if [ "$BATON_ATTEMPT" = 1 ]; then sleep 41.3; else sleep 2.5; fi';

let store: PgStore;
let box: Sandbox;
const children: ChildProcess[] = [];

beforeAll(async () => {
  store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
  box = new Sandbox();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await store.close();
  box.remove();
  await dropSchema(schema);
});

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met in time; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /api/workers on PostgreSQL', () => {
  it('lists the server and two workers live with the held step on one; a killed one turns lost after its lease, a stopped one stopped', async () => {
    const file = box.write('long.yaml', ['name: long', 'tasks:', '  - id: nap', `    command: '${STEP}'`, ''].join('\n'));
    const worker = (name: string) => {
      const w = box.start(['worker', '--db', DB, '--concurrency', '2', '--lease', `${LEASE_MS}ms`, '--heartbeat', '400ms', '--sweep', '300ms', '--home', box.path(`.${name}`)]);
      children.push(w.child);
      return w;
    };
    const [a, b] = [worker('a'), worker('b')];
    const idOf = (w: { child: ChildProcess }) => `${hostname()}:${w.child.pid}`;
    await eventually(() => store.listWorkers(), (l) => l.workers.filter((w) => w.state === 'live').length === 2, 20_000);
    const runId = (await box.run(['run', file, '--db', DB, '--detach'])).stdout.trim();
    await until(() => processesWith('sleep 41.3').length > 0, 15_000);

    // The server comes after the claim, so the step is on one of the two workers.
    mkdirSync(box.path('flows'));
    const server = box.start(['server', box.path('flows'), '--db', DB, '--port', '0', '--home', box.path('.server')]);
    children.push(server.child);
    await until(() => /^\s+baton_\S+$/m.test(server.output()), 20_000);
    const base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
    const admin = (/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string;
    const viewer = ((await (await fetch(`${base}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"role":"viewer"}' })).json()) as { token: string }).token;
    const workers = async () => {
      const res = await fetch(`${base}/api/workers`, { headers: { authorization: `Bearer ${viewer}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as WorkerList;
    };
    const find = (list: WorkerList, w: { child: ChildProcess }) => list.workers.find((x) => x.id === idOf(w)) as WorkerView;

    const first = await eventually(workers, (l) => l.workers.length === 3 && l.workers.every((w) => w.state === 'live'), 10_000);
    expect(first.workers.map((w) => w.id).sort()).toEqual([idOf(a), idOf(b), idOf(server)].sort());
    for (const w of [a, b]) expect(find(first, w)).toMatchObject({ host: hostname(), pid: w.child.pid, capacity: 2, leaseMs: LEASE_MS, stoppedAt: null });
    expect(find(first, server)).toMatchObject({ pid: server.child.pid, capacity: 8, held: [] });
    const holders = first.workers.filter((w) => w.held.length > 0);
    expect(holders.map((w) => w.held)).toEqual([[{ runId, workflow: 'long', stepId: 'nap', kind: 'task', attempt: 1, startedAt: expect.any(Number) as number }]]);
    const [holder, other] = holders[0]?.id === idOf(a) ? [a, b] : [b, a];
    expect(Math.abs(first.now - Date.now())).toBeLessThan(5000);

    // Killed: lost once its lease has lapsed, not before; its step goes to a live process.
    const seen = find(await workers(), holder).seenAt;
    holder.child.kill('SIGKILL');
    await holder.done;
    const lost = await eventually(workers, (l) => find(l, holder).state === 'lost', 10_000);
    expect(lost.now - seen).toBeGreaterThan(LEASE_MS);
    expect(lost.workers.map((w) => w.state)).toEqual(['live', 'live', 'lost']);
    const moved = await eventually(workers, (l) => l.workers.some((w) => w.state === 'live' && w.held.some((s) => s.stepId === 'nap' && s.attempt === 2)), 10_000);
    expect(find(moved, holder).held).toEqual([]);

    // SIGTERM: stopped once its steps in hand are done.
    other.child.kill('SIGTERM');
    expect((await other.done).code).toBe(0);
    const stopped = await workers();
    expect(find(stopped, other)).toMatchObject({ state: 'stopped', held: [], stoppedAt: expect.any(Number) as number });
    expect(find(stopped, holder).state).toBe('lost');
    expect(find(stopped, server).state).toBe('live');
    server.child.kill('SIGTERM');
    expect((await server.done).code).toBe(0);
    expect(Object.fromEntries((await store.listWorkers()).workers.map((w) => [w.id, w.state]))).toEqual({ [idOf(a)]: holder === a ? 'lost' : 'stopped', [idOf(b)]: holder === b ? 'lost' : 'stopped', [idOf(server)]: 'stopped' });
  }, 90_000);
});
