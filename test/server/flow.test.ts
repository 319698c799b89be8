/**
 * Flow control as a user meets it: a server with `--pool db=2` and a
 * workflow limited to one run per customer, spoken to over HTTP; then two
 * `baton worker` processes on PostgreSQL sharing one pool. Each task writes
 * when it starts and ends to a log of its own; the most at once is counted
 * from those lines, not from the store. The counter is first shown to catch
 * an overlap planted in a log.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { Sandbox, until } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';
import { mostAtOnce, TASK } from '../helpers/flow-log.js';

async function eventually(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}


const POOLED = `
name: pooled
tasks:
${Array.from({ length: 6 }, (_, i) => `  - id: t${i}\n    pool: db\n    command: '${TASK(`db${i}`)}'`).join('\n')}
`;

const PER_CUSTOMER = `
name: per-customer
inputs:
  customer: {}
concurrency: { key: "\${{ inputs.customer }}", limit: 1 }
tasks:
  - id: work
    command: '${TASK('$BATON_INPUT_CUSTOMER')}'
`;

describe('mostAtOnce (the checker)', () => {
  it('counts overlaps, and catches one planted in a log', () => {
    const clean = ['+ a 1', '- a 5', '+ b 5', '- b 9'];
    expect(mostAtOnce(clean)).toBe(1);
    expect(mostAtOnce([...clean, '+ c 3', '- c 4'])).toBe(2);
    expect(mostAtOnce(['+ x1 1', '+ y1 2', '- x1 3', '- y1 4'], 'x')).toBe(1);
  });
});

describe('flow control on an embedded server', () => {
  let box: Sandbox;
  let server: ReturnType<Sandbox['start']>;
  let base: string;
  let admin: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read field by field
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  const ended = async (ids: string[]) => {
    for (const id of ids) await eventually(async () => ['succeeded', 'failed'].includes((await api('GET', `/api/runs/${id}`)).json.run.status), 30_000);
  };

  beforeAll(async () => {
    box = new Sandbox();
    mkdirSync(box.path('flows'));
    box.write('flows/pooled.yaml', POOLED);
    box.write('flows/per-customer.yaml', PER_CUSTOMER);
    server = box.start(['server', 'flows', '--port', '0', '--concurrency', '8', '--pool', 'db=2'], { FLOW_LOG: box.path('flow.log') });
    await until(() => /listening on (http:\S+)/.test(server.output()) && /^Open http/m.test(server.output()), 20_000);
    base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
    admin = (/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string;
  }, 30_000);
  afterAll(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    box.remove();
  });

  it('runs tasks of a pool two at a time, and shows the others queued for it', async () => {
    const { json } = await api('POST', '/api/workflows/pooled/runs', {});
    const runId = json.runId as string;
    await eventually(async () => (await api('GET', `/api/runs/${runId}`)).json.waiting.length > 0, 10_000);
    const detail = (await api('GET', `/api/runs/${runId}`)).json;
    expect(detail.waiting[0]).toMatch(/^t\d waits for pool db: 2 of 2 slots taken, \d queued$/);
    expect((await api('GET', '/api/pools')).json.pools[0]).toMatchObject({ name: 'db', slots: 2, used: 2 });
    await ended([runId]);
    expect((await api('GET', `/api/runs/${runId}`)).json.run.status).toBe('succeeded');
    expect(mostAtOnce(box.lines('flow.log'), 'db')).toBe(2);
  }, 40_000);

  it('runs one run per customer at a time; the others wait queued and start as it ends', async () => {
    const start = async (customer: string) => (await api('POST', '/api/workflows/per-customer/runs', { input: { customer } })).json.runId as string;
    const acme = [await start('acme'), await start('acme'), await start('acme')];
    const beta = await start('beta');
    const queued = (await api('GET', `/api/runs/${acme[2]}`)).json;
    expect(queued.run.status).toBe('queued');
    expect(queued.waiting).toEqual(['waiting for runs of per-customer with key "acme": 1 of 1 running, 2 queued']);
    expect((await api('GET', `/api/runs/${beta}`)).json.run.status).not.toBe('queued');
    await ended([...acme, beta]);
    const lines = box.lines('flow.log');
    expect(mostAtOnce(lines, 'acme')).toBe(1);
    expect(lines.filter((l) => l.startsWith('+ acme'))).toHaveLength(3);
    // beta ran beside acme: the limit is per key.
    expect(mostAtOnce(lines.filter((l) => / (acme|beta) /.test(l)))).toBe(2);
    const events = (await api('GET', `/api/runs/${acme[2]}/events`)).json.events as Array<{ type: string }>;
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(['run:queued', 'run:started']);
  }, 40_000);

  it('refuses a pool change that is not a number of slots, and a viewer may not make one', async () => {
    expect((await api('POST', '/api/pools/db', { slots: 0 })).status).toBe(400);
    expect((await api('POST', '/api/pools/bad%20name', { slots: 1 })).status).toBe(400);
    const viewer = (await box.run(['token', 'create', '--role', 'viewer'])).stdout.split('\n')[0] as string;
    const res = await fetch(`${base}/api/pools/db`, { method: 'POST', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }, body: '{"slots":3}' });
    expect(res.status).toBe(403);
  });
});

describe('a pool shared by workers on PostgreSQL', () => {
  const schema = freshSchema();
  const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  let box: Sandbox;

  beforeAll(async () => {
    const store = new PgStore({ url: PG_URL, schema });
    await store.migrate();
    await store.close();
    box = new Sandbox();
  });
  afterAll(async () => {
    box.remove();
    await dropSchema(schema);
  });

  it('never lets more tasks hold its slots than it has, whichever worker runs them', async () => {
    box.write('pooled.yaml', POOLED);
    const env = { FLOW_LOG: box.path('flow.log') };
    // Three workers of one step each: without the pool three would run at once, and no worker alone can fill it.
    const workers = [1, 2, 3].map(() => box.start(['worker', '--db', DB, '--concurrency', '1'], env));
    try {
      const submitted = await Promise.all([0, 1].map(() => box.run(['run', 'pooled.yaml', '--db', DB, '--pool', 'db=2', '--detach'], env)));
      for (const r of submitted) expect(r.code, r.stderr).toBe(0);
      const store = new PgStore({ url: PG_URL, schema });
      try {
        await eventually(async () => (await store.listRuns()).filter((r) => r.status === 'succeeded').length === 2, 40_000);
        const owners = new Set((await Promise.all((await store.listRuns()).map((r) => store.getAttempts(r.id)))).flat().map((a) => a.owner));
        expect(owners.size).toBeGreaterThanOrEqual(2);
      } finally {
        await store.close();
      }
      const lines = box.lines('flow.log');
      expect(lines.filter((l) => l.startsWith('+'))).toHaveLength(12);
      expect(mostAtOnce(lines, 'db')).toBe(2);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
    }
  }, 60_000);
});
