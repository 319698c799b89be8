/**
 * @module engine/log-sink
 * Collects log lines from running steps, masks secrets, shows them to
 * watchers at once, and writes them to the store in batches (one append per
 * turn of the event loop, inside the store's group commit).
 */
import type { Clock } from '../core/clock.js';
import type { LogLine, Store, Stream } from '../store/store.js';
import type { SecretMasker } from './secret-masker.js';

export type LogListener = (line: LogLine) => void;

export class LogSink {
  private buffer: LogLine[] = [];
  private scheduled = false;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly masker: SecretMasker,
    private readonly listener: LogListener,
  ) {}

  write(runId: string, stepId: string, attempt: number, stream: Stream, text: string): void {
    const line: LogLine = { runId, stepId, attempt, stream, at: this.clock.now(), line: this.masker.mask(text) };
    this.buffer.push(line);
    this.listener(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hand everything buffered to the store now; resolves when it is written. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.buffer.length > 0) {
      const batch = this.buffer;
      this.buffer = [];
      this.lastWrite = this.store.appendLogs(batch);
    }
    return this.lastWrite;
  }
}
