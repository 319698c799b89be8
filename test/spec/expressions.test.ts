import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.js';
import { compileExpression, evaluate, evaluateCondition, loadWorkflowText, referencedTasks, usesStatusFunction, type ExprContext } from '../../src/spec/index.js';

const ctx: ExprContext = {
  inputs: { env: 'prod', count: 3, ratio: 0.5, dry: false, empty: '' },
  env: { HOME: '/home/u' },
  secrets: { TOKEN: 's3cret' },
  tasks: {
    build: { status: 'succeeded', outputs: { version: '1.2.3', count: '7' } },
    'my-id': { status: 'failed', outputs: {} },
  },
  event: { branch: 'main', commits: [{ id: 'abc', size: 2 }] },
};
const run = (source: string): unknown => evaluate(compileExpression(source), ctx);

describe('evaluate', () => {
  it('reads inputs, env, secrets, task outputs and the event', () => {
    expect(run("inputs.env == 'prod'")).toBe(true);
    expect(run('inputs.count + 1')).toBe(4);
    expect(run('inputs.ratio * 2.0')).toBe(1);
    expect(run('env.HOME + "/x"')).toBe('/home/u/x');
    expect(run('secrets.TOKEN.size()')).toBe(6);
    expect(run('tasks.build.outputs.version')).toBe('1.2.3');
    expect(run('int(tasks.build.outputs.count) * 2')).toBe(14);
    expect(run("tasks['my-id'].status")).toBe('failed');
    expect(run('event.commits[0].size > 1 && event.branch.startsWith("ma")')).toBe(true);
    expect(run('[1, 2, 3].filter(n, n > inputs.count - 2)')).toEqual([2, 3]);
    expect(run('{"a": [1, "b"]}')).toEqual({ a: [1, 'b'] });
    expect(run('has(tasks.build.outputs.nope)')).toBe(false);
  });

  it('compiles once per source text', () => {
    expect(compileExpression('1 + 1')).toBe(compileExpression('1 + 1'));
  });

  it('throws a BatonError naming the expression on a syntax error or a failed evaluation', () => {
    expect(() => compileExpression('inputs.env ==')).toThrow(new BatonError('INVALID_WORKFLOW', 'invalid expression "inputs.env ==": Unexpected token: EOF (at character 14)'));
    expect(() => run('tasks.build.outputs.nope')).toThrow(/^expression "tasks.build.outputs.nope" failed: No such key: nope$/);
    expect(() => run('success()')).toThrow('success() can only be used in "if"');
    try {
      run('1 / 0');
    } catch (error) {
      expect(error).toBeInstanceOf(BatonError);
      expect((error as BatonError).code).toBe('INVALID_WORKFLOW');
    }
  });

  it('never evaluates JavaScript', () => {
    expect(() => compileExpression('process.exit(1)')).not.toThrow();
    expect(() => run('process.exit(1)')).toThrow(BatonError);
    expect(() => run('constructor.constructor("return 1")()')).toThrow();
  });
});

describe('conditions', () => {
  const ok = { upstreamOk: true, upstreamFailed: false, cancelled: false };
  const failed = { upstreamOk: false, upstreamFailed: true, cancelled: false };
  const skipped = { upstreamOk: false, upstreamFailed: false, cancelled: false };
  const cancelled = { upstreamOk: true, upstreamFailed: false, cancelled: true };
  const cond = (source: string, facts: typeof ok): boolean => evaluateCondition(compileExpression(source), ctx, facts);

  it('knows which expressions call a status function', () => {
    expect(usesStatusFunction(compileExpression('always()'))).toBe(true);
    expect(usesStatusFunction(compileExpression("failure() && inputs.env == 'prod'"))).toBe(true);
    expect(usesStatusFunction(compileExpression("inputs.env == 'prod'"))).toBe(false);
    expect(usesStatusFunction(compileExpression("'success()' == inputs.env"))).toBe(false);
  });

  it.each([
    // source, ok, failed, skipped, cancelled
    ["inputs.env == 'prod'", true, false, false, false],
    ["inputs.env == 'dev'", false, false, false, false],
    ['success()', true, false, false, false],
    ['failure()', false, true, false, false],
    ['always()', true, true, true, true],
    ['cancelled()', false, false, false, true],
    ["failure() && inputs.env == 'prod'", false, true, false, false],
    ['success() || failure()', true, true, false, false],
    ['!cancelled()', true, true, true, false],
    ['inputs.empty', false, false, false, false],
    ['inputs.count', true, false, false, false],
  ])('%s is %s after success, %s after failure, %s after a skip, %s when cancelled', (source, a, b, c, d) => {
    expect([cond(source, ok), cond(source, failed), cond(source, skipped), cond(source, cancelled)]).toEqual([a, b, c, d]);
  });

  it('does not evaluate an implicit success() condition when upstream failed', () => {
    expect(cond("tasks.gone.outputs.x == 'y'", failed)).toBe(false);
    expect(() => cond("tasks.gone.outputs.x == 'y'", ok)).toThrow(BatonError);
  });
});

describe('expressions in files', () => {
  it('lets macros bind their own names', () => {
    const text = 'inputs: { count: 2 }\ntasks:\n  - id: a\n    command: x\n    if: "[1, 2].exists(n, n == inputs.count) && cel.bind(t, inputs.count, t > 1) && [\'a\'].all(s, s.size() == 1)"\n';
    expect(loadWorkflowText(text, 'wf.yaml')).toMatchObject({ ok: true });
    const outside = 'tasks:\n  - id: a\n    command: x\n    if: "[1].exists(n, n > 0) && n > 1"\n';
    expect(loadWorkflowText(outside, 'wf.yaml')).toMatchObject({ ok: false, problems: [{ line: 4, col: 34, message: 'unknown name "n": expressions can use inputs, env, secrets, tasks, event' }] });
  });
});

describe('referencedTasks', () => {
  it('lists the tasks an expression or a template reads, from the AST', () => {
    expect(referencedTasks("tasks.a.status == 'succeeded' && tasks['b-c'].outputs.x != 'tasks.d'", 'condition')).toEqual(['a', 'b-c']);
    expect(referencedTasks('echo ${{ tasks.a.outputs.v }} tasks.z ${{ [1].exists(t, t > 0) || tasks.e.status == "" }}', 'template')).toEqual(['a', 'e']);
    expect(referencedTasks('tasks.a ==', 'condition')).toEqual([]);
  });
});
