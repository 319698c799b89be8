import { afterEach, describe, expect, it } from 'vitest';
import order from '../../examples/order/order.js';
import type { Order } from '../../examples/order/services.js';
import { createTestEnv, RunFailedError, type TestEnv } from '../../src/testing/index.js';

const base: Order = { orderId: 'o1', customerId: 'c1', items: [{ sku: 'book', quantity: 1 }], total: 120, email: 'c1@example.com' };
const big: Order = { ...base, orderId: 'o2', total: 1200 };

let env: TestEnv;
afterEach(async () => env?.close());

describe('the seed 001 order workflow, tested with baton/testing', () => {
  it('ships a small order without asking anyone', async () => {
    env = await createTestEnv();
    const run = await env.start(order, base);
    expect(await run.result()).toEqual({ orderId: 'o1', paymentId: 'pay_o1', trackingNumber: 'TRKO1' });
    expect(await run.userStatus()).toBe('done');
    expect((await run.steps()).map((s) => s.id)).toEqual(['charge', 'reserve', 'ship', 'confirm']);
  });

  it('waits for approval of a large order, visibly, and goes on when approved', async () => {
    env = await createTestEnv();
    env.mock('charge', () => ({ paymentId: 'p1', amount: 1200 }));
    const run = await env.start(order, big);
    expect(await run.currentStatus()).toBe('waiting');
    expect(await run.userStatus()).toBe('awaiting approval');
    await env.advance('3h');
    await run.signal('approval', true);
    expect(await run.result()).toEqual({ orderId: 'o2', paymentId: 'p1', trackingNumber: 'TRKO2' });
  });

  it('after 24 hours without approval, refunds and releases in reverse order', async () => {
    env = await createTestEnv();
    const undone: string[] = [];
    env.mock('charge', () => ({ paymentId: 'p1', amount: 1200 }));
    env.mock('charge.compensate', () => void undone.push('refund'));
    env.mock('reserve.compensate', () => void undone.push('release'));
    const started = env.clock.now();
    const run = await env.start(order, big);
    await env.advance('23h59m');
    expect(await run.currentStatus()).toBe('waiting');
    await env.advance('1m');
    await expect(run.result()).rejects.toThrow(/not approved within 24h/);
    expect(undone).toEqual(['release', 'refund']);
    expect(env.clock.now() - started).toBe(24 * 3600_000);
    const steps = await run.steps();
    expect(steps.filter((s) => s.kind === 'step').map((s) => [s.id, s.status])).toEqual([
      ['charge', 'compensated'],
      ['reserve', 'compensated'],
    ]);
  });

  it('a rejection compensates too, and the history shows every step', async () => {
    env = await createTestEnv();
    const run = await env.start(order, big);
    await run.signal('approval', false);
    const failure = await run.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunFailedError);
    expect((failure as RunFailedError).status).toBe('failed');
    expect((failure as RunFailedError).reason).toMatch(/rejected by a reviewer/);
    const types = (await run.history()).map((e) => `${e.type}${e.stepId ? ` ${e.stepId}` : ''}`);
    expect(types).toContain('signal:received signal(approval)');
    expect(types).toContain('step:succeeded reserve.compensate');
    expect(types).toContain('step:compensated charge');
    expect(types.at(-1)).toBe('run:failed');
  });

  it('retries a failing shipment with backoff, on virtual time', async () => {
    env = await createTestEnv({ random: () => 1 });
    env.failTimes('ship', 3);
    const t0 = env.clock.now();
    const run = await env.start(order, base);
    expect(await run.result()).toMatchObject({ trackingNumber: 'TRKO1' });
    const ship = (await run.steps()).find((s) => s.id === 'ship');
    expect(ship).toMatchObject({ status: 'succeeded', attempt: 4, failures: 3 });
    // backoff 2s, 4s, 8s (full jitter at its ceiling)
    expect(env.clock.now() - t0).toBe(14_000);
  });

  it('a declined card fails at once, with nothing to undo', async () => {
    env = await createTestEnv();
    const run = await env.start(order, { ...base, fail: 'payment-declined' });
    await expect(run.result()).rejects.toThrow(/card declined/);
    const steps = await run.steps();
    expect(steps.map((s) => [s.id, s.status, s.attempt])).toEqual([['charge', 'failed', 1]]);
  });
});
