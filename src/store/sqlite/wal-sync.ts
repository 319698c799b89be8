/**
 * @module store/sqlite/wal-sync
 * Durability without blocking the event loop. SQLite commits with
 * `synchronous=NORMAL` (no fsync in COMMIT); before any caller is told its
 * transition is done, the WAL file is fdatasync'ed on libuv's thread pool.
 * A commit is durable once an fdatasync that *started after* it has finished,
 * so while one sync is in flight, every later commit waits for the next one,
 * and one sync covers all of them: group commit for the fsync too.
 *
 * The guarantee equals `synchronous=FULL` in WAL mode (the WAL is on disk
 * before acknowledging), while the process keeps spawning and reading pipes
 * during the sync. The WAL file persists while this connection is open, so
 * the descriptor stays valid; checkpoints sync it themselves.
 */
import { fdatasync, openSync, closeSync } from 'node:fs';

export class WalSync {
  private fd: number | undefined;
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.current) return (this.current = this.start());
    this.next = this.current.then(() => {
      this.next = undefined;
      return (this.current = this.start());
    });
    return this.next;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): Promise<void> {
    const p: Promise<void> = new Promise<void>((resolve, reject) => {
      try {
        this.fd ??= openSync(this.walPath, 'r');
      } catch (error) {
        reject(error);
        return;
      }
      fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }
}
