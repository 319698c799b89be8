import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
afterAll(() => dropSchema(schema));

describe('PostgreSQL migrations', () => {
  it('eight processes starting at once on an empty database each apply every migration once, in order', async () => {
    const store = resolve(import.meta.dirname, '../../dist/store/postgres/pg-store.js');
    const script = `import { PgStore } from ${JSON.stringify(store)};
const s = new PgStore({ url: ${JSON.stringify(PG_URL)}, schema: ${JSON.stringify(schema)} });
await s.migrate(); await s.close();`;
    const codes = await Promise.all(
      Array.from({ length: 8 }, () => new Promise<number | null>((done) => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on('exit', done))),
    );
    expect(codes).toEqual(Array(8).fill(0));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const rows = (await client.query(`SELECT version, name FROM "${schema}".baton_migrations ORDER BY version`)).rows as Array<{ version: number; name: string }>;
      const files = readdirSync(resolve(import.meta.dirname, '../../src/store/postgres/migrations')).filter((f) => /^\d{4}_.+\.sql$/.test(f));
      expect(files.length).toBeGreaterThanOrEqual(4);
      expect(rows.map((r) => r.version)).toEqual(files.map((_, i) => i + 1));
      const tables = (await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`, [schema])).rows[0] as { n: number };
      expect(tables.n).toBe(15);
    } finally {
      await client.end();
    }
  });
});
