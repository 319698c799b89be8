/**
 * @module store/sqlite/group-commit
 * Group commit for a synchronous SQLite connection: operations queued in the
 * same turn of the event loop run in one transaction (one fsync), each inside
 * its own savepoint so one failing operation does not undo the others. Every
 * caller's promise settles only after the transaction committed and, when a
 * `durable` hook is given, after it reports the commit on disk: nothing is
 * acknowledged before it is durable.
 *
 * While such a sync is in flight, new writes wait and are committed together
 * when it ends. They would be acknowledged no sooner if committed at once (a
 * sync that started before a commit does not cover it), and one transaction
 * for all of them writes each page they share to the WAL once, not once each.
 */
import type { Database, Statement } from 'better-sqlite3';

interface Pending {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Syncs (the `durable` hook) not yet ended. */
  private syncing = 0;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;

  constructor(
    private readonly db: Database,
    private readonly durable?: () => Promise<void>,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
  }

  /** Queue a write; resolves with its result once committed. */
  write<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Flush at the end of this turn of the event loop, or when the sync in flight ends. */
  private schedule(): void {
    if (this.scheduled || this.syncing > 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** A read sees every write queued before it. */
  read<T>(op: () => T): Promise<T> {
    if (this.queue.length > 0) return this.write(op);
    try {
      return Promise.resolve(op());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Run whatever is queued now, even while a sync is in flight (used before closing). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const results: Array<{ ok: boolean; value: unknown }> = [];
    try {
      this.begin.run();
      if (batch.length === 1) {
        // Alone in the transaction: its failure may roll the whole thing back.
        try {
          results.push({ ok: true, value: (batch[0] as Pending).op() });
        } catch (error) {
          this.rollback.run();
          (batch[0] as Pending).reject(error);
          return;
        }
      } else for (const item of batch) {
        this.savepoint.run();
        try {
          results.push({ ok: true, value: item.op() });
          this.release.run();
        } catch (error) {
          this.rollbackTo.run();
          this.release.run();
          results.push({ ok: false, value: error });
        }
      }
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = () =>
      batch.forEach((item, i) => {
        const r = results[i] as { ok: boolean; value: unknown };
        if (r.ok) item.resolve(r.value);
        else item.reject(r.value);
      });
    if (!this.durable) return settle();
    this.syncing++;
    this.durable()
      .then(settle, (error: unknown) => {
        for (const item of batch) item.reject(error);
      })
      .finally(() => {
        this.syncing--;
        if (this.queue.length > 0) this.schedule();
      });
  }
}
