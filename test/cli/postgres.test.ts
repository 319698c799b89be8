import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { Sandbox, until, type RunJson } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

// One schema for this file: the CLI reaches it through the URL's search path option.
const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const ORDER = resolve(import.meta.dirname, '../../examples/order/order.ts');

let box: Sandbox;
beforeAll(async () => {
  const store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
  await store.close();
  box = new Sandbox();
});
afterAll(async () => {
  box?.remove();
  await dropSchema(schema);
});

describe('the CLI on PostgreSQL (--db, BATON_DB)', () => {
  it('a file workflow with retries, submitted, run by a worker, followed and shown from any process', async () => {
    const w = box.start(['worker', '--db', DB]);
    const r = await box.run(['run', resolve(import.meta.dirname, '../../examples/flaky.yaml'), '--db', DB]);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[fetch] GET /records -> 503 Service Unavailable (attempt 1)');
    const [run] = await box.json<RunJson[]>(['runs', '--db', DB]);
    expect(run?.status).toBe('succeeded');
    const shown = await box.json<RunJson>(['show', run?.id ?? ''], { BATON_DB: DB });
    expect(shown.steps.every((s) => s.status === 'succeeded')).toBe(true);
    expect(shown.steps.find((s) => s.id === 'fetch')?.attempts).toBe(3);
  });

  it('a code run, submitted and run by a worker, waits for a signal sent from another process (LISTEN/NOTIFY)', async () => {
    const input = JSON.stringify({ orderId: 'pg1', customerId: 'c1', items: [], total: 5000, email: 'e' });
    const w = box.start(['worker', '--db', DB]);
    const p = box.start(['run', ORDER, '--db', DB, '--input', input]);
    await until(() => p.output().includes('signal(approval)'));
    const [run] = await box.json<RunJson[]>(['runs', '--db', DB]);
    const sent = await box.run(['signal', run?.id ?? '', 'approval', 'true', '--db', DB]);
    expect(sent.code).toBe(0);
    const done = await p.done;
    w.child.kill('SIGTERM');
    await w.done;
    expect(done.code).toBe(0);
    expect(await box.json(['show', run?.id ?? '', '--db', DB])).toMatchObject({ status: 'succeeded', result: { orderId: 'pg1' } });
  });

  it('an unreachable database or a URL that is not PostgreSQL is a clear error, exit 2', async () => {
    const down = await box.run(['runs', '--db', 'postgres://postgres@127.0.0.1:1/none']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^baton: cannot use the PostgreSQL database at postgres:\/\/…@127\.0\.0\.1:1\/none: cannot reach PostgreSQL: connect ECONNREFUSED/);
    const wrong = await box.run(['runs'], { BATON_DB: 'mysql://x' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/must be a PostgreSQL URL/);
  });
});
