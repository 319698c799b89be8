/**
 * @module store/postgres/migrate
 * Append-only numbered migrations (`migrations/0001_name.sql`), each applied
 * in its own transaction under a transaction-level advisory lock: processes
 * starting at once serialise on the lock, and each sees what the others
 * applied.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PgDb } from './pg-db.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** pg_advisory_xact_lock key: "baton" as an integer. */
const LOCK = 0x6261746f6e;

export async function migrate(db: PgDb, dir = MIGRATIONS_DIR, first?: string): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  if (first) {
    await db.tx(async (tx) => {
      await tx.q('SELECT pg_advisory_xact_lock($1)', [LOCK]);
      await tx.q(first);
    });
  }
  for (const name of files) {
    const version = Number(name.slice(0, 4));
    await db.tx(async (tx) => {
      await tx.q('SELECT pg_advisory_xact_lock($1)', [LOCK]);
      await tx.q('CREATE TABLE IF NOT EXISTS baton_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const done = await tx.q('SELECT 1 FROM baton_migrations WHERE version = $1', [version]);
      if (done.length > 0) return;
      await tx.q(readFileSync(dir + name, 'utf8'));
      await tx.q('INSERT INTO baton_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, name, tx.now]);
    });
  }
}
