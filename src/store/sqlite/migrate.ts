/**
 * @module store/sqlite/migrate
 * Append-only numbered migrations (`migrations/0001_name.sql`), each applied in
 * its own immediate transaction, which also makes concurrent starters safe:
 * the second one waits for the lock, then sees the version already applied.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(dir + f, 'utf8') }));
}

export function migrate(db: Database, migrations = readMigrations()): void {
  db.exec('CREATE TABLE IF NOT EXISTS baton_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = db.prepare<[number], { version: number }>('SELECT version FROM baton_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO baton_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    const apply = db.transaction(() => {
      if (applied.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    });
    apply.immediate();
  }
}
