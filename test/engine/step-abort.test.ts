import { describe, expect, it } from 'vitest';
import { SlotPools } from '../../src/engine/slot-pool.js';
import { StepAbort } from '../../src/engine/step-abort.js';

describe('StepAbort', () => {
  it('calls each listener once on the first abort, and not one removed or added after', () => {
    const abort = new StepAbort();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    abort.addEventListener('abort', () => calls.push('a'));
    abort.addEventListener('abort', removed);
    abort.addEventListener('abort', () => calls.push('b'));
    abort.removeEventListener('abort', removed);
    expect(abort.aborted).toBe(false);
    const reason = new Error('lease lost');
    abort.abort(reason);
    abort.abort(new Error('again'));
    abort.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['a', 'b']);
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe(reason);
  });

  it('makes its AbortSignal on first use: one that follows a later abort, or already aborted', () => {
    const before = new StepAbort();
    const signal = before.signal;
    expect(before.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    let heard: unknown;
    signal.addEventListener('abort', () => (heard = signal.reason));
    before.abort(new Error('given back'));
    expect(signal.aborted).toBe(true);
    expect((heard as Error).message).toBe('given back');

    const after = new StepAbort();
    after.abort(new Error('cancelled'));
    expect(after.signal.aborted).toBe(true);
    expect((after.signal.reason as Error).message).toBe('cancelled');
  });

  it('takes a waiter for a slot out of the queue, as an AbortSignal does', async () => {
    const pools = new SlotPools();
    const held = await pools.acquire('p', 1);
    const abort = new StepAbort();
    const waiting = pools.acquire('p', 1, abort);
    const next = pools.acquire('p', 1);
    abort.abort(new Error('given back'));
    await expect(waiting).rejects.toThrow('given back');
    held();
    const r = await next;
    r();
  });
});
