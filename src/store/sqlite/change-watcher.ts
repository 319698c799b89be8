/**
 * @module store/sqlite/change-watcher
 * Tells listeners when another process committed to the database file (a
 * signal sent, a run cancelled). SQLite has no notification channel, so the
 * WAL file is watched (inotify on Linux) and `PRAGMA data_version`, which
 * changes only on other connections' commits, filters out our own writes.
 * A slow check (every second) covers events a file watch can miss. Nothing
 * runs while no one listens; while someone does, the check keeps the process
 * alive (a run waiting for a signal with no timeout has nothing else to).
 */
import { watch, type FSWatcher } from 'node:fs';

const FALLBACK_MS = 1000;

export class ChangeWatcher {
  private readonly listeners = new Set<() => void>();
  private fsWatcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seen = 0;

  constructor(
    private readonly walPath: string | undefined,
    private readonly dataVersion: () => number,
  ) {}

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    this.seen = this.dataVersion();
    if (this.walPath) {
      try {
        this.fsWatcher = watch(this.walPath, { persistent: false }, () => this.check());
        this.fsWatcher.on('error', () => this.fsWatcher?.close());
      } catch {
        // No WAL file to watch (yet): the slow check alone serves.
      }
    }
    this.timer = setInterval(() => this.check(), FALLBACK_MS);
  }

  private check(): void {
    let version: number;
    try {
      version = this.dataVersion();
    } catch {
      return; // closing
    }
    if (version === this.seen) return;
    this.seen = version;
    for (const l of [...this.listeners]) l();
  }

  private stop(): void {
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }
}
