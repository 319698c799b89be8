import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
