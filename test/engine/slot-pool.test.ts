import { describe, expect, it } from 'vitest';
import { SlotPools } from '../../src/engine/slot-pool.js';

describe('SlotPools', () => {
  it('lets at most `limit` holders in per pool, FIFO, and pools are independent', async () => {
    const pools = new SlotPools();
    const order: string[] = [];
    const r1 = await pools.acquire('a', 2);
    const r2 = await pools.acquire('a', 2);
    const other = await pools.acquire('b', 1);
    const w3 = pools.acquire('a', 2).then((r) => (order.push('3'), r));
    const w4 = pools.acquire('a', 2).then((r) => (order.push('4'), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    r1();
    r1(); // releasing twice frees one slot only
    const r3 = await w3;
    expect(order).toEqual(['3']);
    r2();
    const r4 = await w4;
    expect(order).toEqual(['3', '4']);
    r3();
    r4();
    other();
  });

  it('an aborted waiter leaves the queue without taking a slot', async () => {
    const pools = new SlotPools();
    const held = await pools.acquire('p', 1);
    const abort = new AbortController();
    const waiting = pools.acquire('p', 1, abort.signal);
    const next = pools.acquire('p', 1);
    abort.abort();
    await expect(waiting).rejects.toBeDefined();
    held();
    const r = await next;
    r();
  });
});
