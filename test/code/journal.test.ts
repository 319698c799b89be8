import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, NonRetryableError, RetryAfterError } from '../../src/index.js';
import { createTestEnv, type TestEnv } from '../../src/testing/index.js';

let env: TestEnv;
afterEach(async () => env?.close());

describe('code workflows: the journal', () => {
  it('runs steps once, journals results, and returns the function result', async () => {
    env = await createTestEnv();
    let calls = 0;
    const wf = defineWorkflow('j-basic', async (ctx, input: { n: number }) => {
      const a = await ctx.step('double', () => {
        calls++;
        return input.n * 2;
      });
      const [b, c] = await Promise.all([ctx.step('inc', () => a + 1), ctx.step('inc', () => a + 2)]);
      return { a, b, c };
    });
    const run = await env.start(wf, { n: 5 });
    expect(await run.result()).toEqual({ a: 10, b: 11, c: 12 });
    expect(calls).toBe(1);
    const journal = await run.journal();
    expect(journal.map((e) => [e.position, e.key, e.status])).toEqual([
      [0, 'double', 'succeeded'],
      [1, 'inc', 'succeeded'],
      [2, 'inc#2', 'succeeded'],
    ]);
  });

  it('retries with backoff on the virtual clock, and NonRetryableError stops at once', async () => {
    env = await createTestEnv({ random: () => 0.5 });
    let tries = 0;
    const wf = defineWorkflow('j-retry', async (ctx) => {
      const v = await ctx.step(
        'flaky',
        () => {
          tries++;
          if (tries < 3) throw new Error(`boom ${tries}`);
          return 'ok';
        },
        { retry: { attempts: 5, initial: '10s' } },
      );
      await ctx.step('final', () => {
        throw new NonRetryableError('no way');
      }, { retry: { attempts: 5 } });
      return v;
    });
    const run = await env.start(wf);
    await expect(run.result()).rejects.toThrow(/NonRetryableError: no way/);
    expect(tries).toBe(3);
    const steps = await run.steps();
    expect(steps.find((s) => s.id === 'flaky')).toMatchObject({ status: 'succeeded', attempt: 3, failures: 2 });
    expect(steps.find((s) => s.id === 'final')).toMatchObject({ status: 'failed', attempt: 1 });
  });

  it('RetryAfterError sets the delay', async () => {
    env = await createTestEnv();
    const t0 = env.clock.now();
    const at: number[] = [];
    const wf = defineWorkflow('j-retry-after', async (ctx) =>
      ctx.step('s', () => {
        at.push(env.clock.now() - t0);
        if (at.length === 1) throw new RetryAfterError(90_000);
        return 1;
      }, { retry: { attempts: 2 } }),
    );
    expect(await (await env.start(wf)).result()).toBe(1);
    expect(at).toEqual([0, 90_000]);
  });

  it('sleeps take no real time and resume from the journal after a "crash"', async () => {
    env = await createTestEnv();
    const effects: string[] = [];
    const wf = defineWorkflow('j-sleep', async (ctx) => {
      await ctx.step('before', () => effects.push('before'));
      await ctx.sleep('1h');
      await ctx.step('after', () => effects.push('after'));
      return ctx.now();
    });
    const run = await env.start(wf);
    expect(await run.currentStatus()).toBe('waiting');
    await env.advance('30m');
    expect(effects).toEqual(['before']);
    await env.advance('30m');
    const result = await run.result();
    expect(effects).toEqual(['before', 'after']);
    expect(result).toBe(env.clock.now());
  });

  it('a signal sent before the wait is delivered once; a timeout gives undefined', async () => {
    env = await createTestEnv();
    const wf = defineWorkflow('j-signal', async (ctx) => {
      const first = await ctx.waitForSignal<string>('go');
      const second = await ctx.waitForSignal<string>('go', { timeout: '1h' });
      return { first, second: second ?? 'timed out' };
    });
    const run = await env.start(wf);
    await run.signal('go', 'hello');
    expect(await run.result()).toEqual({ first: 'hello', second: 'timed out' });
  });

  it('compensates completed steps in reverse order when the function fails', async () => {
    env = await createTestEnv();
    const log: string[] = [];
    const wf = defineWorkflow('j-comp', async (ctx) => {
      await ctx.step('a', () => 'A', { compensate: (r) => void log.push(`undo ${r}`) });
      await ctx.step('b', () => 'B', { compensate: (r) => void log.push(`undo ${r}`) });
      await ctx.step('c', () => {
        throw new NonRetryableError('c failed');
      });
    });
    const run = await env.start(wf);
    await expect(run.result()).rejects.toThrow(/c failed/);
    expect(log).toEqual(['undo B', 'undo A']);
    const steps = await run.steps();
    expect(steps.filter((s) => s.kind === 'step').map((s) => [s.id, s.status])).toEqual([
      ['a', 'compensated'],
      ['b', 'compensated'],
      ['c', 'failed'],
    ]);
  });

  it('a different step at a journaled position is a NonDeterminismError naming both', async () => {
    env = await createTestEnv();
    let version = 1;
    const wf = defineWorkflow('j-nondet', async (ctx) => {
      await ctx.step(version === 1 ? 'one' : 'uno', () => 1);
      await ctx.waitForSignal('go');
      return 'done';
    });
    const run = await env.start(wf);
    expect(await run.currentStatus()).toBe('waiting');
    await env.cancel(run.runId).catch(() => undefined);
    // Simulate a new deployment: a new process resumes with changed code.
    await env.store.setRunStatus(run.runId, ['cancelled'], 'waiting');
    version = 2;
    const again = await env.resume(run.runId);
    await expect(again.result()).rejects.toThrow(/NonDeterminismError.*step "one".*step "uno"/);
  });
});
