/**
 * @module store/postgres/pg-db
 * A pool of connections and transactions on it. BIGINT columns (times in
 * ms) come back as numbers. Each transaction learns the time once: from the
 * injected clock (tests), else from the database (leases are measured on the
 * database clock, the one every worker shares). A statement or transaction
 * that fails because its connection was lost (a restart, a failover,
 * pg_terminate_backend) is tried again on a new connection, with capped
 * backoff, for up to a minute: every transition is guarded, so one that did
 * commit before the connection dropped is refused the second time, never
 * applied twice. A transaction the server rolled back (a deadlock, a
 * serialization failure) is tried again the same way.
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
  private reached = false;

  constructor(
    readonly url: string,
    private readonly clock: Clock | undefined,
    options: { max?: number; schema?: string } = {},
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      application_name: 'baton',
      types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client that loses its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  /**
   * One statement on its own (its own transaction). A `name` makes it a
   * prepared statement, parsed and planned once per connection: for the
   * statements a worker sends for every batch.
   */
  async q<T = Row>(sql: string, params: unknown[] = [], name?: string): Promise<T[]> {
    const query = name === undefined ? sql : { name, text: sql };
    return this.retrying(async () => (await this.pool.query(query, params)).rows as T[]);
  }

  /** Run `fn` again while it fails for a lost connection: 10 ms, doubling, at most 1 s apart, for up to `patienceMs`. */
  private async retrying<T>(fn: () => Promise<T>, patienceMs = 60_000): Promise<T> {
    const until = Date.now() + patienceMs;
    for (let delay = 10; ; delay = Math.min(1000, delay * 2)) {
      try {
        const value = await fn();
        this.reached = true;
        return value;
      } catch (error) {
        // A database never reached is a setup problem, said at once; one that went away is waited for.
        const unreachable = !this.reached && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT)$/.test((error as { code?: string }).code ?? '');
        const again = error instanceof Error && (isConnectionError(error) || isRolledBack(error));
        if (unreachable || !again || Date.now() + delay > until) throw wrap(error);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    const [row] = await this.q<{ now: number }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now');
    return (row as { now: number }).now;
  }

  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.retrying(() => this.once(fn));
  }

  private async once<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection killed while checked out also emits 'error' on the client: the query's rejection says it.
    const ignore = () => undefined;
    client.on('error', ignore);
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
      client.off('error', ignore);
      client.release();
      return value;
    } catch (error) {
      const lost = error instanceof Error && isConnectionError(error);
      if (!lost) await client.query('ROLLBACK').catch(() => undefined);
      client.off('error', ignore);
      client.release(lost ? (error as Error) : undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function isConnectionError(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  // 08xxx connection exceptions; 57P01-57P03 the server is shutting down or not yet up; 53300 no connection slot free yet.
  return code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300' || /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|connection.*(closed|lost)/i.test(error.message);
}

/** A deadlock or serialization failure: the server rolled the transaction back, nothing of it applied. */
function isRolledBack(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

function wrap(error: unknown): Error {
  if (error instanceof BatonError) return error;
  const e = error as Error & { code?: string };
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND') {
    return new BatonError('STORE', `cannot reach PostgreSQL: ${e.message}`, { cause: error });
  }
  return e instanceof Error ? e : new Error(String(error));
}
