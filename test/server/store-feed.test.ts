/**
 * The live stream of a server sharing PostgreSQL: changes made by other
 * processes reach its SSE clients, and an event that commits after a later
 * one (sequence numbers are taken before commit) is not lost.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFeed } from '../../src/server/store-feed.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { Sandbox, until } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
let store: PgStore;

beforeAll(async () => {
  store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dropSchema(schema);
});

describe('StoreFeed', () => {
  it('sends an event that commits after a later one, once, and every other once', async () => {
    const feed = new StoreFeed(store);
    await feed.start();
    const seen: string[] = [];
    const off = feed.on((e) => seen.push(`${e.name}:${'stepId' in e.payload ? e.payload.stepId : ''}`));
    const slow = new pg.Client({ connectionString: DB });
    await slow.connect();
    try {
      const insert = (client: pg.Client | PgStore, step: string) =>
        (client instanceof PgStore ? client.appendEvent('r1', 'step:started', { stepId: step, attempt: 1 }) : client.query(`INSERT INTO events (run_id, at, type, step_id, attempt) VALUES ('r1', 1, 'step:started', $1, 1)`, [step]));
      await slow.query('BEGIN');
      await insert(slow, 'late'); // takes a seq, not yet committed
      await insert(store, 'early'); // a later seq, committed
      feed.read();
      await until(() => seen.length === 1, 5000);
      expect(seen).toEqual(['step:started:early']);
      await slow.query('COMMIT');
      feed.read();
      await until(() => seen.length === 2, 5000);
      await insert(store, 'after');
      feed.read();
      await until(() => seen.length === 3, 5000);
      await new Promise((r) => setTimeout(r, 700));
      expect(seen).toEqual(['step:started:early', 'step:started:late', 'step:started:after']);
    } finally {
      off();
      feed.stop();
      await slow.end();
    }
  });
});

describe('SSE of a server on PostgreSQL', () => {
  it('streams the steps a separate worker runs', async () => {
    const box = new Sandbox();
    const tasks = Array.from({ length: 6 }, (_, i) => `  - id: t${i}\n    command: sleep 0.3`).join('\n');
    box.write('six.yaml', `name: six\ntasks:\n${tasks}\n`);
    const server = box.start(['server', box.dir, '--db', DB, '--port', '0', '--concurrency', '1']);
    const worker = box.start(['worker', '--db', DB, '--concurrency', '4']);
    const abort = new AbortController();
    try {
      await until(() => /^Open http/m.test(server.output()), 20_000);
      const base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
      const admin = (/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string;
      const res = await fetch(`${base}/api/stream`, { headers: { authorization: `Bearer ${admin}` }, signal: abort.signal });
      let text = '';
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      })().catch(() => undefined);
      await until(() => text.includes('event: hello'), 5000);
      const submitted = await box.run(['run', 'six.yaml', '--db', DB, '--detach']);
      expect(submitted.code, submitted.stderr).toBe(0);
      const runId = submitted.stdout.trim().split(/\s+/).pop() as string;
      await until(() => text.includes('event: run:finished'), 20_000);
      const finished = [...text.matchAll(/event: step:finished\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1] as string) as { runId: string; stepId: string; status: string });
      expect(finished.filter((f) => f.runId === runId && f.status === 'succeeded').map((f) => f.stepId).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
      expect(text).toContain(`"runId":"${runId}","status":"succeeded"`);
      const owners = new Set((await store.getAttempts(runId)).map((a) => a.owner));
      expect(owners.size).toBe(2); // the server's worker and the other one both ran steps
    } finally {
      abort.abort();
      server.child.kill('SIGKILL');
      worker.child.kill('SIGKILL');
      box.remove();
    }
  }, 40_000);
});
