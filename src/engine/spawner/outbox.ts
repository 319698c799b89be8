/**
 * @module engine/spawner/outbox
 * Messages queued during one turn of the event loop and sent together, as
 * one array: one write on the IPC channel and one wake-up of the other
 * process instead of one per message.
 */

export class Outbox<T> {
  private queue: T[] = [];

  constructor(private readonly send: (batch: T[]) => void) {}

  push(message: T): void {
    if (this.queue.push(message) === 1) setImmediate(() => this.flush());
  }

  /** Send what is queued now. */
  flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.send(batch);
  }

  /** Drop what is queued (its receiver is gone). */
  clear(): void {
    this.queue = [];
  }
}
