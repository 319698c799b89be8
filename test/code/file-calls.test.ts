import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadWorkflowText } from '../../src/spec/index.js';
import { createTestEnv, type TestEnv } from '../../src/testing/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/calls');

let env: TestEnv;
afterEach(async () => env?.close());

describe('file tasks that call code: workflow: and function:', () => {
  it('runs a code workflow as a child and an exported function, and passes their results on as outputs', async () => {
    env = await createTestEnv();
    const run = await env.start(join(FIXTURES, 'release.yaml'), { who: 'Ada' });
    expect(await run.result()).toEqual({
      greet: { text: 'hello Ada', length: '9' },
      send: { messageId: 'm-ops-1', chars: '9' },
      report: {},
    });
    const logs = await env.store.getLogs({ runId: run.runId, stepId: 'report' });
    expect(logs.map((l) => l.line)).toEqual(['sent m-ops-1 9 chars']);
    expect(await env.store.childRuns(run.runId)).toEqual([`${run.runId}.greet.1`]);
    expect(await env.store.getLogs({ runId: run.runId, stepId: 'send' })).toMatchObject([{ line: 'sending to ops' }]);
  });

  it('a missing export fails the task with what the module does export', async () => {
    env = await createTestEnv();
    const loaded = loadWorkflowText('name: x\ntasks:\n  - id: t\n    function: ./tasks/send.ts#nope\n', join(FIXTURES, 'x.yaml'));
    if (!loaded.ok) throw new Error('should load');
    const run = await env.start({ ...loaded.workflow, source: join(FIXTURES, 'x.yaml') });
    await expect(run.result()).rejects.toThrow(/failed/);
    const step = (await run.steps())[0];
    expect(step?.error).toMatch(/has no exported function "nope" \(it exports (send, notAFunctionUser|notAFunctionUser, send)\)/);
  });

  const seen = () => ((globalThis as { __batonAbortSeen?: { started: number; reasons: string[] } }).__batonAbortSeen ??= { started: 0, reasons: [] });
  const startYaml = async (yaml: string) => {
    const loaded = loadWorkflowText(yaml, join(FIXTURES, 'abort.yaml'));
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    return env.start({ ...loaded.workflow, source: join(FIXTURES, 'abort.yaml') });
  };

  it('a function task past its timeout stops: its ctx.signal aborts with the reason, and one that ignores the signal ends all the same', async () => {
    env = await createTestEnv();
    const before = seen().reasons.length;
    const run = await startYaml(
      'name: t\ntasks:\n  - id: heeds\n    function: ./tasks/abort.ts#untilAborted\n    timeout: 150ms\n  - id: ignores\n    function: ./tasks/abort.ts#forever\n    timeout: 150ms\n',
    );
    await expect(run.result()).rejects.toThrow(/failed/);
    const steps = await run.steps();
    expect(steps.map((s) => [s.id, s.status, s.error])).toEqual([
      ['heeds', 'failed', 'timed out after 150ms'],
      ['ignores', 'failed', 'timed out after 150ms'],
    ]);
    expect(seen().reasons.slice(before)).toEqual(['timed out after 150ms']);
  });

  it('cancelling the run aborts a running function task\'s ctx.signal, and ends one that ignores it', async () => {
    env = await createTestEnv();
    const before = { ...seen(), reasons: seen().reasons.length };
    const run = await startYaml('name: t\ntasks:\n  - id: heeds\n    function: ./tasks/abort.ts#untilAborted\n  - id: ignores\n    function: ./tasks/abort.ts#forever\n');
    await vi.waitFor(() => expect(seen().started - before.started).toBe(2));
    await run.cancel();
    await expect(run.result()).rejects.toThrow(/cancelled/);
    const steps = await run.steps();
    expect(steps.map((s) => [s.id, s.status])).toEqual([
      ['heeds', 'cancelled'],
      ['ignores', 'cancelled'],
    ]);
    expect(seen().reasons.slice(before.reasons)).toHaveLength(1);
  });

  it('validation: one of command, args, workflow or function; input only with a call', () => {
    const check = (yaml: string) => {
      const r = loadWorkflowText(yaml, 'w.yaml');
      return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
    };
    expect(check('name: x\ntasks:\n  - id: t\n    command: echo\n    function: ./a.ts#b\n')).toEqual(['5:5: give "command" or "function", not both']);
    expect(check('name: x\ntasks:\n  - id: t\n    function: "./a.ts#not valid"\n')).toEqual([
      '4:15: "function" must be a module path and an export: "./tasks/send.ts#send" (got "./a.ts#not valid")',
    ]);
    expect(check('name: x\ntasks:\n  - id: t\n    command: echo\n    input: {a: 1}\n')).toEqual(['5:5: "input" goes with "workflow" or "function"']);
    expect(check('name: x\ntasks:\n  - id: t\n    workflow: greet\n    input: {a: "${{ tasks.u.outputs.x }}"}\n')[0]).toMatch(/5:21: unknown task "u"/);
  });
});
