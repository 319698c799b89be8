import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/core/errors.js';
import { loadWorkflowText } from '../../src/spec/index.js';

/** The problems of a document, as `file:line:col: message`. */
function problems(text: string, file = 'wf.yaml'): string[] {
  const result = loadWorkflowText(text, file);
  if (result.ok) return [];
  return result.problems.map(formatProblem);
}

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('keys', () => {
  it('names an unknown key at the key, with a suggestion or the keys it expected', () => {
    const text = y('tasks:', '  - id: a', '    command: x', '    dependOn: [b]', '    foo: 1', '  - id: b', '    Command: y');
    expect(problems(text)).toEqual([
      'wf.yaml:4:5: unknown key "dependOn" — did you mean "dependsOn"?',
      'wf.yaml:5:5: unknown key "foo" (expected one of: id, name, description, command, operation, args, workflow, function, input, dependsOn, dependencies, retries, retry, timeout, if, env, cwd, rollback, healthCheck, chaos, pool, priority)',
      'wf.yaml:7:5: unknown key "Command" — did you mean "command"?',
      'wf.yaml:6:5: task "b" needs a "command" (or "args", "workflow" or "function")',
    ].sort(byPosition));
  });

  it('checks top-level keys and their values', () => {
    const text = y('secrets: [TOKEN, 1bad]', 'concurrency: 0', 'failFast: yes', 'timeout: soon', 'on: [x]', 'defaults: { retries: -1, timout: 1s }', 'env: { A: null, "b c": 1 }', 'taks: []', 'tasks:', '  - id: a', '    command: x');
    expect(problems(text)).toEqual([
      'wf.yaml:1:18: secret "1bad" is not a valid environment variable name: use letters, digits and "_", not starting with a digit',
      'wf.yaml:2:14: "concurrency" must be a whole number ≥ 1, got 0',
      'wf.yaml:3:11: "failFast" must be true or false, got "yes"',
      'wf.yaml:4:10: "timeout" must be a duration > 0 such as 500ms, 30s, 5m or 1h30m, got "soon"',
      'wf.yaml:5:5: "on" must be a mapping, got a list',
      'wf.yaml:6:22: "defaults.retries" must be a whole number ≥ 0, got -1',
      'wf.yaml:6:26: unknown key "timout" — did you mean "timeout"?',
      'wf.yaml:7:11: "env.A" must be a string, got null',
      'wf.yaml:7:17: environment variable name "b c" is not valid: use letters, digits and "_", not starting with a digit',
      'wf.yaml:8:1: unknown key "taks" — did you mean "tasks"?',
    ]);
  });
});

describe('values', () => {
  it('says what was expected and what was given', () => {
    const text = y(
      'tasks:',
      '  - id: a',
      '    command: x',
      '    retries: two',
      '    timeout: 5 minutes',
      '    retry: { backoff: expo, max: 1s, initial: 10s, factor: 0.5, jitter: some, nonRetryableExitCodes: [1, 300] }',
      '  - id: b',
      '    args: []',
      '    dependsOn: 3',
    );
    expect(problems(text)).toEqual([
      'wf.yaml:4:14: "retries" must be a whole number ≥ 0, got "two"',
      'wf.yaml:5:14: "timeout" must be a duration > 0 such as 500ms, 30s, 5m or 1h30m, got "5 minutes"',
      'wf.yaml:6:23: "retry.backoff" must be one of exponential, linear, fixed, got "expo"',
      'wf.yaml:6:34: "retry.max" must not be less than "retry.initial"',
      'wf.yaml:6:60: "retry.factor" must be a number ≥ 1, got 0.5',
      'wf.yaml:6:73: "retry.jitter" must be one of full, none, got "some"',
      'wf.yaml:6:106: "retry.nonRetryableExitCodes[1]" must be a whole number from 0 to 255, got 300',
      'wf.yaml:8:11: "args" must not be empty',
      'wf.yaml:9:16: "dependsOn" must be a task id or a list of task ids, got 3',
    ]);
  });

  it('refuses a seed alias given with its canonical key, and command with args', () => {
    const text = y('tasks:', '  - id: a', '    command: x', '    operation: y', '    args: [z]', '    dependencies: [b]', '    dependsOn: [b]', '  - id: b', '    command: y');
    expect(problems(text)).toEqual([
      'wf.yaml:4:5: "operation" is another name for "command": give only one',
      'wf.yaml:5:5: give "command" or "args", not both',
      'wf.yaml:6:5: "dependencies" is another name for "dependsOn": give only one',
    ]);
  });

  it('reports a file that is empty, not a workflow, or without tasks at 1:1', () => {
    expect(problems('')).toEqual(['wf.yaml:1:1: the file is empty: expected a mapping with "tasks", or a list of tasks']);
    expect(problems('hello\n')).toEqual(['wf.yaml:1:1: a workflow must be a mapping with "tasks", or a list of tasks, got "hello"']);
    expect(problems('name: x\n')).toEqual(['wf.yaml:1:1: missing "tasks": a workflow needs a list (or a mapping) of tasks']);
    expect(problems('tasks: []\n')).toEqual(['wf.yaml:1:8: a workflow needs at least one task']);
    expect(problems('[]', 'x.json')).toEqual(['x.json:1:1: a workflow needs at least one task']);
  });
});

describe('ids and the graph', () => {
  it('points at the second of two tasks with one id, naming the line of the first', () => {
    const text = y('tasks:', '  - id: build', '    command: x', '  - id: build', '    command: y');
    expect(problems(text)).toEqual(['wf.yaml:4:9: duplicate task id "build" (first defined at line 2)']);
  });

  it('finds a repeated key in a JSON map of tasks, which JSON.parse would hide', () => {
    const text = '{"tasks": {\n  "a": {"command": "x"},\n  "a": {"command": "y"}\n}}';
    expect(problems(text, 'wf.json')).toEqual(['wf.json:3:3: duplicate task id "a"']);
  });

  it('checks ids: valid, and the same inside and as the key in the map form', () => {
    const text = '{"tasks": {"a": {"command": "x", "id": "b"}, "9x": {"command": "y"}}}';
    expect(problems(text, 'wf.json')).toEqual([
      'wf.json:1:40: "id" is "b" but the task\'s key is "a": remove "id" or make them equal',
      'wf.json:1:46: task id "9x" is not valid: use letters, digits, "_", "." and "-", starting with a letter or "_"',
    ]);
  });

  it('names unknown dependencies with a suggestion, and self-dependencies', () => {
    const text = y('tasks:', '  - id: build', '    command: x', '  - id: deploy', '    dependsOn: [buidl, deploy, nothing-like-it]', '    command: y');
    expect(problems(text)).toEqual([
      'wf.yaml:5:17: unknown dependency "buidl" — did you mean "build"?',
      'wf.yaml:5:24: task "deploy" depends on itself',
      'wf.yaml:5:32: unknown dependency "nothing-like-it"',
    ]);
  });

  it('prints a cycle as its path, at the edge that closes it', () => {
    const text = y('tasks:', '  a: { command: x, dependsOn: c }', '  b: { command: x, dependsOn: a }', '  c: { command: x, dependsOn: [b] }', '  d: { command: x, dependsOn: [a] }');
    expect(problems(text)).toEqual(['wf.yaml:2:31: cycle: a -> c -> b -> a']);
  });
});

describe('expressions', () => {
  it('reports syntax errors at the expression, in if and in ${{ }} of every templated field', () => {
    const text = y(
      'tasks:',
      '  - id: a',
      '    command: echo ${{ 1 + }}',
      '    if: inputs.x ==',
      '    env: { X: "${{ ) }}" }',
      '    cwd: ${{ unclosed',
      '    rollback: ${{ }}',
      '  - id: b',
      '    args: [ok, "${{ [ }}"]',
    );
    expect(problems(text)).toEqual([
      'wf.yaml:3:27: invalid expression: Unexpected token: EOF',
      'wf.yaml:4:20: invalid expression: Unexpected token: EOF',
      'wf.yaml:5:20: invalid expression: Unexpected token: RPAREN',
      'wf.yaml:6:10: unclosed "${{" (expected "}}")',
      'wf.yaml:7:18: invalid expression: empty expression',
      'wf.yaml:9:23: invalid expression: Unexpected token: EOF',
    ]);
  });

  it('refuses undeclared inputs and secrets, unknown names, functions and fields', () => {
    const text = y(
      'inputs: { env: staging }',
      'secrets: [TOKEN]',
      'tasks:',
      '  - id: a',
      '    command: echo ${{ inputs.envv }} ${{ secrets.TOKN }} ${{ foo }} ${{ size(env) }} ${{ event.x }}',
      '    if: sucess() && input.env == "x"',
      '    env: { X: "${{ success() }}", Y: "${{ \'a\' + 1 }}" }',
    );
    expect(problems(text)).toEqual([
      'wf.yaml:5:23: unknown input "envv" — did you mean "env"?',
      'wf.yaml:5:42: unknown secret "TOKN" — did you mean "TOKEN"?',
      'wf.yaml:5:62: unknown name "foo": expressions can use inputs, env, secrets, tasks, event',
      'wf.yaml:6:9: unknown function "sucess()" — did you mean "success"?',
      'wf.yaml:6:21: unknown name "input" — did you mean "inputs"?',
      'wf.yaml:7:20: success() can only be used in "if"',
      'wf.yaml:7:43: invalid expression: no such overload: string + int',
    ]);
  });

  it('requires a task read in an expression to exist and to be upstream', () => {
    const text = y(
      'tasks:',
      '  - id: a',
      '    command: echo',
      '  - id: b',
      '    dependsOn: [a]',
      '    command: echo ${{ tasks.a.outputs.x }}',
      '  - id: c',
      '    dependsOn: b',
      '    command: echo ${{ tasks.a.status }} ${{ tasks.d.status }} ${{ tasks.c.status }}',
      '    if: tasks.b.outpts.x == "1" && tasks.bb.status == "x"',
      '  - id: d',
      '    command: echo',
    );
    expect(problems(text)).toEqual([
      'wf.yaml:9:45: task "c" reads tasks.d but does not depend on it: add "d" to its dependsOn',
      'wf.yaml:9:67: task "c" cannot read its own status or outputs',
      'wf.yaml:10:9: tasks.b has no field "outpts" — did you mean "outputs"?',
      'wf.yaml:10:36: unknown task "bb" — did you mean "b"?',
    ]);
  });

  it('reads ids with "-" through index syntax, and hints at it', () => {
    const ok = y('tasks:', '  my-id:', '    command: echo', '  b:', '    dependsOn: my-id', "    command: echo ${{ tasks['my-id'].outputs.x }}");
    expect(problems(ok)).toEqual([]);
    const bad = y('tasks:', '  my-id:', '    command: echo', '  b:', '    dependsOn: my-id', '    command: echo ${{ tasks.my-id.outputs.x }}');
    expect(problems(bad)[0]).toBe(`wf.yaml:6:23: unknown task "my" (for an id with "-", write tasks['my-id'])`);
  });

  it('does not read tasks in workflow-level env or defaults', () => {
    const text = y('env: { A: "${{ tasks.a.status }}" }', 'tasks:', '  - id: a', '    command: echo');
    expect(problems(text)).toEqual(['wf.yaml:1:16: tasks.a cannot be used here: only a task\'s own fields can read other tasks']);
  });

  it('places an expression in a string it cannot map exactly at the start of the string', () => {
    const text = y('tasks:', '  - id: a', '    command: |', '      echo ${{ inputs.x }}', "  - { id: b, command: 'it''s ${{ inputs.y }}' }");
    expect(problems(text)).toEqual([
      'wf.yaml:3:14: unknown input "x": declare it under "inputs"',
      'wf.yaml:5:23: unknown input "y": declare it under "inputs"',
    ]);
  });
});

describe('syntax', () => {
  it('gives the YAML parser position and message', () => {
    expect(problems(y('tasks:', '  - id: a', '    command: [x'))).toEqual([
      'wf.yaml:4:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problems(y('tasks:', '  a: {command: x}', '  a: {command: y}'))).toEqual(['wf.yaml:3:3: invalid YAML: Map keys must be unique']);
  });

  it('gives the JSON position, also where JSON.parse does not', () => {
    expect(problems('{"tasks": [\n  {"id": "a", "command": "x",}\n]}', 'wf.json')).toEqual(['wf.json:2:30: invalid JSON: Expected double-quoted property name']);
    expect(problems('{"tasks": [{"id": tru}]}', 'wf.json')).toEqual([`wf.json:1:19: invalid JSON: Unexpected token '}'`]);
    expect(problems('{"tasks": [', 'wf.json')).toEqual(['wf.json:1:12: invalid JSON: unexpected end of input']);
  });
});

function byPosition(a: string, b: string): number {
  const [, la, ca] = /:(\d+):(\d+):/.exec(a)!.map(Number);
  const [, lb, cb] = /:(\d+):(\d+):/.exec(b)!.map(Number);
  return la! - lb! || ca! - cb!;
}

describe('on.schedule', () => {
  it('reads cron, every and at with their policies', () => {
    const text = y(
      'on:',
      '  schedule:',
      '    - cron: "30 2 * * *"',
      '      timezone: Europe/Berlin',
      '      catchUp: { policy: all, max: 3 }',
      '      overlap: queue',
      '      jitter: 30s',
      '    - name: often',
      '      every: 45m',
      '      input: { who: cron }',
      '    - at: 2026-12-01T09:00:00+01:00',
      'tasks:',
      '  - id: a',
      '    command: x',
    );
    const result = loadWorkflowText(text, 'wf.yaml');
    expect(result.ok && result.triggers?.schedules).toEqual([
      { id: 'schedule-1', cron: '30 2 * * *', timezone: 'Europe/Berlin', jitterMs: 30_000, catchUp: { policy: 'all', max: 3 }, overlap: { policy: 'queue', max: 1 }, input: {} },
      { id: 'often', everyMs: 2_700_000, timezone: 'UTC', jitterMs: 0, catchUp: { policy: 'latest' }, overlap: { policy: 'skip' }, input: { who: 'cron' } },
      { id: 'schedule-3', at: Date.parse('2026-12-01T08:00:00Z'), timezone: 'UTC', jitterMs: 0, catchUp: { policy: 'latest' }, overlap: { policy: 'skip' }, input: {} },
    ]);
  });

  it('says what is wrong with a schedule, where', () => {
    const text = y(
      'on:',
      '  schedule:',
      '    - cron: "61 * * * *"',
      '    - cron: "* * *"',
      '    - every: 1h',
      '      cron: "* * * * *"',
      '    - every: 5m',
      '      timezone: Mars/Olympus',
      '      catchup: all',
      '      overlap: sometimes',
      '    - at: tomorrow',
      '  shedule: []',
      'tasks:',
      '  - id: a',
      '    command: x',
    );
    expect(problems(text)).toEqual([
      expect.stringMatching(/^wf\.yaml:3:13: not a valid cron expression: /) as string,
      'wf.yaml:4:13: a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first), got 3',
      'wf.yaml:5:7: a schedule takes one of cron, every or at, not cron and every',
      'wf.yaml:8:17: unknown time zone "Mars/Olympus": use an IANA name like Europe/Berlin or America/New_York',
      'wf.yaml:9:7: unknown key "catchup" — did you mean "catchUp"?',
      'wf.yaml:10:16: "overlap" must be one of skip, queue, cancel-previous, allow, got "sometimes"',
      'wf.yaml:11:11: "tomorrow" is not a date-time with a zone, like 2026-12-01T09:00:00Z or 2026-12-01T09:00:00+01:00',
      'wf.yaml:12:3: unknown key "shedule" — did you mean "schedule"?',
    ]);
  });
});

describe('on.event', () => {
  it('reads event triggers and says what is wrong with one, where', () => {
    const ok = loadWorkflowText(y('on:', '  event: { type: git.push, if: "event.data.branch == \'main\'", input: { b: "${{ event.data.branch }}" } }', 'tasks:', '  - id: a', '    command: x'), 'wf.yaml');
    expect(ok.ok && ok.triggers?.events).toEqual([{ type: 'git.push', if: "event.data.branch == 'main'", input: { b: '${{ event.data.branch }}' } }]);
    const text = y('on:', '  event:', '    - if: "true"', '    - type: "no spaces"', '    - type: x', '      if: "event.data.("', '      when: now', 'tasks:', '  - id: a', '    command: x');
    expect(problems(text)).toEqual([
      'wf.yaml:3:7: an event trigger needs a "type" (like git.push, or run.succeeded for another workflow\'s runs)',
      'wf.yaml:4:13: event type "no spaces" must be letters, digits, "_", "." or "-", starting with a letter',
      expect.stringMatching(/^wf\.yaml:6:11: not a valid expression: /) as string,
      'wf.yaml:7:7: unknown key "when" (expected one of: type, if, input)',
    ]);
  });
});

describe('quietHours', () => {
  it('reads windows and says what is wrong with one, where', () => {
    const ok = loadWorkflowText(y('quietHours: { windows: [{ days: [mon, Friday], from: "22:00", to: "6:30", timezone: Europe/Berlin }], action: skip }', 'tasks:', '  - id: a', '    command: x'), 'wf.yaml');
    expect(ok.ok && ok.workflow.quietHours).toEqual({ action: 'skip', windows: [{ days: [1, 5], fromMin: 1320, toMin: 390, timezone: 'Europe/Berlin' }] });
    const text = y('quietHours:', '  action: hush', '  windows:', '    - { from: "25:00", to: "06:00" }', '    - { from: "01:00", to: "01:00", days: [someday] }', '    - { to: "02:00", timezone: Moon/Base }', 'tasks:', '  - id: a', '    command: x');
    expect(problems(text)).toEqual([
      'wf.yaml:2:11: "quietHours.action" must be one of defer, skip, got "hush"',
      'wf.yaml:4:15: "25:00" is not a time of day like 22:00 or 6:30',
      'wf.yaml:5:44: "days[0]" must be one of sun, mon, tue, wed, thu, fri, sat, got "someday"',
      'wf.yaml:5:28: a window from and to the same time is empty',
      'wf.yaml:6:7: a window needs "from" (HH:MM)',
      'wf.yaml:6:32: unknown time zone "Moon/Base": use an IANA name like Europe/Berlin',
    ].sort(byPosition));
  });
});
