/**
 * The migration that gives runs their `started_by` column fills it for runs
 * made before it, from what their history says (a parent, a `run:scheduled`
 * or `run:triggered` event), on both backends. Each test makes runs with the
 * current store, takes the column away as it was before the migration, and
 * migrates again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const DEF = { name: 'wf', tasks: [{ id: 'x', command: 'true' }] } as never;
const UNDO = ['DROP INDEX runs_by_started_by', 'ALTER TABLE runs DROP COLUMN started_by'];

/** Four runs made as before the column: what started each is only in the history. */
async function oldRuns(store: Store): Promise<void> {
  const make = (id: string, parentId?: string) =>
    store.createRun({ id, workflow: 'wf', definition: DEF, input: {}, steps: [{ id: 'x', dependsOn: [] }], ...(parentId ? { parentId } : {}) }, 'owner');
  await make('r-manual');
  await make('r-sched');
  await store.appendEvent('r-sched', 'run:scheduled', { data: { schedule: 's' } });
  await make('r-event');
  await store.appendEvent('r-event', 'run:triggered', { data: { event: 'push' } });
  await make('r-child', 'r-manual');
}

async function triggers(store: Store): Promise<Record<string, string>> {
  return Object.fromEntries((await store.listRuns({ limit: 10 })).map((r) => [r.id, r.trigger]));
}

const EXPECTED = { 'r-manual': 'manual', 'r-sched': 'schedule', 'r-event': 'event', 'r-child': 'parent' };

describe('started_by backfill', () => {
  it('SQLite: runs made before the column get what their history says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-trigger-'));
    try {
      const path = join(dir, 'baton.db');
      const store = new SqliteStore({ path });
      await store.migrate();
      await oldRuns(store);
      await store.close();
      const raw = new Database(path);
      for (const sql of UNDO) raw.exec(sql);
      raw.prepare('DELETE FROM baton_migrations WHERE name = ?').run('0007_run_trigger.sql');
      raw.close();
      const again = new SqliteStore({ path });
      await again.migrate();
      expect(await triggers(again)).toEqual(EXPECTED);
      expect((await again.listRuns({ trigger: 'schedule' })).map((r) => r.id)).toEqual(['r-sched']);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const schema = freshSchema();
  afterAll(() => dropSchema(schema));

  it('PostgreSQL: the same', async () => {
    const store = new PgStore({ url: PG_URL, schema });
    await store.migrate();
    await oldRuns(store);
    await store.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${schema}"`);
      for (const sql of UNDO) await client.query(sql);
      await client.query('DELETE FROM baton_migrations WHERE name = $1', ['0008_run_trigger.sql']);
    } finally {
      await client.end();
    }
    const again = new PgStore({ url: PG_URL, schema });
    await again.migrate();
    expect(await triggers(again)).toEqual(EXPECTED);
    expect((await again.listRuns({ trigger: 'event' })).map((r) => r.id)).toEqual(['r-event']);
    await again.close();
  });
});
