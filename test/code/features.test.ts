import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow } from '../../src/index.js';
import { createTestEnv, type TestEnv } from '../../src/testing/index.js';

let env: TestEnv;
afterEach(async () => env?.close());

describe('code workflows: children, commands, journaled values, status', () => {
  it('awaits a child code run, whose result and link to the parent are recorded', async () => {
    env = await createTestEnv();
    const child = defineWorkflow('f-child', async (ctx, input: { n: number }) => {
      await ctx.sleep('5m');
      return ctx.step('square', () => input.n * input.n);
    });
    const parent = defineWorkflow('f-parent', async (ctx) => {
      const a = await ctx.child(child, { n: 3 });
      const b = await ctx.child(child, { n: 4 });
      return a + b;
    });
    const run = await env.start(parent);
    expect(await run.result()).toBe(25);
    const kids = await env.store.childRuns(run.runId);
    expect(kids).toEqual([`${run.runId}.0`, `${run.runId}.1`]);
    expect((await env.store.getRun(kids[0] as string))?.parentId).toBe(run.runId);
  });

  it('a child that fails makes the step throw ChildRunFailedError in the parent', async () => {
    env = await createTestEnv();
    const child = defineWorkflow('f-bad-child', async () => {
      throw new Error('child broke');
    });
    const parent = defineWorkflow('f-catching-parent', async (ctx) => {
      try {
        await ctx.child(child, {});
        return 'no error';
      } catch (error) {
        return (error as Error).name + ': ' + (error as Error).message;
      }
    });
    const run = await env.start(parent);
    expect(await run.result()).toMatch(/^ChildRunFailedError: child run .*\.0 \(f-bad-child\) failed: child broke$/);
  });

  it('runs a file workflow as a child and returns its task outputs', async () => {
    env = await createTestEnv();
    const dir = mkdtempSync(join(tmpdir(), 'baton-child-'));
    writeFileSync(
      join(dir, 'build.yaml'),
      ['name: build', 'tasks:', '  - id: compile', '    command: echo "artifact=app-1.2.tgz" >> "$BATON_OUTPUT"', ''].join('\n'),
    );
    const parent = defineWorkflow('f-file-parent', async (ctx) => {
      const out = await ctx.child<unknown, { compile: { artifact: string } }>(join(dir, 'build.yaml'));
      return out.compile.artifact;
    });
    expect(await (await env.start(parent)).result()).toBe('app-1.2.tgz');
  });

  it('ctx.exec runs a command in its own process group, captures output, and fails on a non-zero exit', async () => {
    env = await createTestEnv();
    const wf = defineWorkflow('f-exec', async (ctx) => {
      const hello = await ctx.exec('echo hello; echo oops >&2');
      const argv = await ctx.exec(['printf', '%s', 'a b; $(x)'], { name: 'printf' });
      const failed = await ctx.exec('exit 3', { name: 'three', check: false });
      let error = '';
      try {
        await ctx.exec('exit 4', { name: 'four' });
      } catch (e) {
        error = (e as Error).message;
      }
      return { hello: hello.stdout, err: hello.stderr, argv: argv.stdout, code: failed.exitCode, error };
    });
    const run = await env.start(wf);
    expect(await run.result()).toEqual({ hello: 'hello\n', err: 'oops\n', argv: 'a b; $(x)\n', code: 3, error: 'command exited with code 4' });
    const logs = await env.store.getLogs({ runId: run.runId, stepId: 'echo' });
    expect(logs.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'hello'],
      ['stderr', 'oops'],
    ]);
  });

  it('a step timeout aborts the step through its signal', async () => {
    env = await createTestEnv();
    let aborted = false;
    const wf = defineWorkflow('f-timeout', async (ctx) =>
      ctx.step(
        'slow',
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(signal.reason as Error);
            });
          }),
        { timeout: '30s' },
      ),
    );
    const run = await env.start(wf);
    await env.advance('29s');
    expect(aborted).toBe(false);
    await env.advance('1s');
    await expect(run.result()).rejects.toThrow(/StepTimeoutError: step "slow" timed out after 30.0s/);
    expect(aborted).toBe(true);
  });

  it('now(), random() and uuid() are journaled: a replay sees the same values', async () => {
    env = await createTestEnv();
    const seen: unknown[] = [];
    const wf = defineWorkflow('f-values', async (ctx) => {
      const values = { now: ctx.now(), random: ctx.random(), uuid: ctx.uuid() };
      seen.push(values);
      await ctx.waitForSignal('go');
      return values;
    });
    const run = await env.start(wf);
    await env.cancel(run.runId);
    await env.store.setRunStatus(run.runId, ['cancelled'], 'waiting');
    await env.advance('1h');
    const again = await env.resume(run.runId);
    await again.signal('go');
    const result = await again.result();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(result).toEqual(seen[0]);
  });

  it('a signal sent while no process runs the run is taken once, on resume', async () => {
    env = await createTestEnv();
    const wf = defineWorkflow('f-offline-signal', async (ctx) => {
      const a = await ctx.waitForSignal<number>('n');
      const b = await ctx.waitForSignal<number>('n', { timeout: '1m' });
      return [a, b ?? null];
    });
    const run = await env.start(wf);
    await env.cancel(run.runId);
    await env.store.setRunStatus(run.runId, ['cancelled'], 'waiting');
    await env.store.sendSignal(run.runId, 'n', '7');
    const again = await env.resume(run.runId);
    expect(await again.result()).toEqual([7, null]);
    expect(await env.store.pendingSignals(run.runId)).toEqual([]);
  });

  it('a compensation is retried, and journaled once it succeeded', async () => {
    env = await createTestEnv({ random: () => 0 });
    const dir = mkdtempSync(join(tmpdir(), 'baton-comp-'));
    const ledger = join(dir, 'ledger');
    writeFileSync(ledger, '');
    let undoTries = 0;
    const wf = defineWorkflow('f-comp-retry', async (ctx) => {
      await ctx.step('pay', () => 'p1', {
        retry: { attempts: 3 },
        compensate: (id) => {
          undoTries++;
          if (undoTries < 2) throw new Error('refund service down');
          writeFileSync(ledger, `refund ${id}\n`, { flag: 'a' });
        },
      });
      throw new Error('later step failed');
    });
    const run = await env.start(wf);
    await expect(run.result()).rejects.toThrow(/later step failed/);
    expect(readFileSync(ledger, 'utf8')).toBe('refund p1\n');
    const comp = (await run.steps()).find((s) => s.id === 'pay.compensate');
    expect(comp).toMatchObject({ kind: 'compensate', status: 'succeeded', attempt: 2 });
  });

  it('setStatus is readable while the run waits', async () => {
    env = await createTestEnv();
    const wf = defineWorkflow('f-status', async (ctx) => {
      ctx.setStatus({ stage: 'one' });
      await ctx.sleep('1m');
      ctx.setStatus({ stage: 'two' });
      await ctx.sleep('1m');
    });
    const run = await env.start(wf);
    expect(await run.userStatus()).toEqual({ stage: 'one' });
    await env.advance('1m');
    expect(await run.userStatus()).toEqual({ stage: 'two' });
    expect((await env.store.getRun(run.runId))?.wakeAt).toBe(env.clock.now() + 60_000);
    await run.result();
  });

  it('a run timeout stops the function and compensates what it did', async () => {
    env = await createTestEnv();
    const undone: string[] = [];
    const wf = defineWorkflow(
      'f-run-timeout',
      async (ctx) => {
        await ctx.step('book', () => 'b1', { compensate: (id) => void undone.push(id) });
        await ctx.sleep('2h');
        await ctx.step('never', () => undone.push('never ran?'));
      },
      { timeout: '1h' },
    );
    const run = await env.start(wf);
    expect(await run.status()).toBe('timed_out');
    expect(undone).toEqual(['b1']);
    expect((await env.store.getRun(run.runId))?.error).toBe('run timed out after 1h00m');
  });

  it('bad arguments fail with a clear error', async () => {
    env = await createTestEnv();
    const wf = defineWorkflow('f-bad-args', async (ctx) => {
      await ctx.sleep('soon');
    });
    await expect((await env.start(wf)).result()).rejects.toThrow(/ctx.sleep: "soon" is not a duration/);
  });
});
