import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/core/errors.js';
import { loadWorkflowText } from '../../src/spec/index.js';

function load(text: string) {
  const result = loadWorkflowText(text, 'wf.yaml');
  return result.ok ? { workflow: result.workflow, problems: [] } : { workflow: undefined, problems: result.problems.map(formatProblem) };
}
const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('flow control keys', () => {
  it('reads concurrency as tasks at once, or as {tasks, runs, key, limit}; pool and priority on tasks', () => {
    const { workflow } = load(
      y('inputs: { customer: {} }', 'priority: 3', 'concurrency: { tasks: 2, runs: 5, key: "${{ inputs.customer }}", limit: 2 }', 'tasks:', '  - id: a', '    command: x', '    pool: db', '    priority: -4', '  - id: b', '    command: y'),
    );
    expect(workflow?.concurrency).toBe(2);
    expect(workflow?.runConcurrency).toEqual({ runs: 5, key: '${{ inputs.customer }}', limit: 2 });
    expect(workflow?.priority).toBe(3);
    expect(workflow?.tasks[0]).toMatchObject({ pool: 'db', priority: -4 });
    expect(workflow?.tasks[1]?.pool).toBeUndefined();
    expect(load(y('concurrency: 4', 'tasks:', '  - id: a', '    command: x')).workflow?.concurrency).toBe(4);
  });

  it('says what is wrong with each, where', () => {
    expect(load(y('concurrency: { limit: 2 }', 'tasks:', '  - id: a', '    command: x')).problems).toEqual([
      'wf.yaml:1:16: "limit" is the number of runs at once per key: give "key" too (or use "runs" for all runs of the workflow)',
    ]);
    expect(load(y('concurrency: { key: acme }', 'tasks:', '  - id: a', '    command: x')).problems[0]).toMatch(/^wf.yaml:1:21: "key" is the same for every run \("acme"\)/);
    expect(load(y('concurrency: { key: "${{ inputs.nope }}" }', 'tasks:', '  - id: a', '    command: x')).problems[0]).toMatch(/^wf.yaml:1:\d+: .*nope/);
    expect(load(y('concurrency: { runz: 2 }', 'tasks:', '  - id: a', '    command: x')).problems).toEqual(['wf.yaml:1:16: unknown key "runz" — did you mean "runs"?']);
    expect(load(y('concurrency: fast', 'tasks:', '  - id: a', '    command: x')).problems[0]).toMatch(/^wf.yaml:1:14: "concurrency" must be a whole number ≥ 1 \(tasks at once\), or a mapping/);
    expect(load(y('tasks:', '  - id: a', '    command: x', '    pool: "d b"')).problems[0]).toMatch(/^wf.yaml:4:11: pool name "d b" is not valid/);
    expect(load(y('tasks:', '  - id: a', '    command: x', '    priority: 5000')).problems[0]).toMatch(/^wf.yaml:4:15: "priority" must be a whole number from -1000 to 1000/);
  });
});
