/**
 * @module store/postgres/pg-db
 * A pool of connections and transactions on it. BIGINT columns (times in
 * ms) come back as numbers. Each transaction learns the time once: from the
 * injected clock (tests), else from the database (leases are measured on the
 * database clock, the one every worker shares).
 */
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import { BatonError } from '../../core/errors.js';

export type Row = Record<string, unknown>;

export interface Tx {
  now: number;
  q<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
}

const INT8 = 20;

export class PgDb {
  readonly pool: pg.Pool;

  constructor(
    readonly url: string,
    private readonly clock: Clock | undefined,
    options: { max?: number; schema?: string } = {},
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client that loses its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  async q<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (error) {
      throw wrap(error);
    }
  }

  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    const [row] = await this.q<{ now: number }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now');
    return (row as { now: number }).now;
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw wrap(error);
    }
    try {
      let now: number;
      if (this.clock) {
        await client.query('BEGIN');
        now = this.clock.now();
      } else {
        const results = (await client.query('BEGIN; SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now')) as unknown as pg.QueryResult[];
        now = (results[1]?.rows[0] as { now: number }).now;
      }
      const tx: Tx = { now, q: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[] };
      const value = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error instanceof Error && isConnectionError(error) ? error : undefined);
      throw wrap(error);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function isConnectionError(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('08') || code === '57P01' || /Connection terminated|ECONNRESET|ECONNREFUSED/.test(error.message);
}

function wrap(error: unknown): Error {
  if (error instanceof BatonError) return error;
  const e = error as Error & { code?: string };
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND') {
    return new BatonError('STORE', `cannot reach PostgreSQL: ${e.message}`, { cause: error });
  }
  return e instanceof Error ? e : new Error(String(error));
}
