import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, step, type RunJson } from '../helpers/cli.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.remove());

describe('baton run', () => {
  it('runs a graph in dependency order, passes outputs and inputs, and records it', async () => {
    box.write(
      'wf.yaml',
      `name: diamond
inputs:
  who: { default: world }
tasks:
  - id: a
    command: echo "a" >> order.txt && echo "greeting=hello" >> "$BATON_OUTPUT"
  - id: b
    dependsOn: [a]
    command: echo "b" >> order.txt && echo "$BATON_INPUT_WHO"
  - id: c
    dependsOn: [a]
    command: echo "c" >> order.txt
  - id: d
    dependsOn: [b, c]
    command: echo "d" >> order.txt && echo \${{ tasks.a.outputs.greeting }}-\${{ inputs.who }} > greeting.txt
`,
    );
    const res = await box.run(['run', 'wf.yaml', '--input', 'who=baton']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\[b\] baton/);
    const order = box.lines('order.txt');
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('d');
    expect(order.slice(1, 3).sort()).toEqual(['b', 'c']);
    expect(box.read('greeting.txt')).toBe('hello-baton\n');

    const runs = await box.json<Array<{ id: string; status: string }>>(['runs']);
    expect(runs).toHaveLength(1);
    const shown = await box.json<RunJson>(['show', runs[0]!.id]);
    expect(shown).toMatchObject({ id: runs[0]!.id, workflow: 'diamond', status: 'succeeded' });
    for (const s of shown.steps) {
      expect(s).toMatchObject({ status: 'succeeded', attempts: 1, exitCode: 0 });
      expect(Date.parse(s.startedAt!)).toBeLessThanOrEqual(Date.parse(s.finishedAt!));
    }
    expect(step(shown, 'a').outputs).toEqual({ greeting: 'hello' });
    const logs = await box.run(['logs', runs[0]!.id, 'b']);
    expect(logs.stdout).toBe('baton\n');
  });

  it('prints the same report with --json as show --json', async () => {
    box.write('wf.json', JSON.stringify([{ id: 'one', command: 'echo 1' }]));
    const res = await box.run(['run', 'wf.json', '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as RunJson;
    const shown = await box.json<RunJson>(['show', report.id]);
    expect(shown).toEqual(report);
    expect(report.steps.map((s) => s.id)).toEqual(['one']);
  });

  it('runs the seed format (a bare JSON array of tasks) unchanged', async () => {
    box.write(
      'tasks.json',
      JSON.stringify([
        { id: 'scoop-command', command: 'echo listing', retries: 0 },
        { id: 'git-status', command: 'echo status', retries: 1, dependsOn: ['scoop-command'] },
      ]),
    );
    const res = await box.run(['run', 'tasks.json']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('[git-status] status');
  });

  it('a flaky command succeeds after retries', async () => {
    box.write(
      'wf.yaml',
      `tasks:
  flaky:
    command: echo "try $BATON_ATTEMPT" >> tries.txt && [ "$BATON_ATTEMPT" -ge 3 ]
    retry: { attempts: 4, initial: 10ms, max: 50ms }
`,
    );
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(0);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'flaky')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(step(run, 'flaky').history.map((h) => h.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(box.lines('tries.txt')).toEqual(['try 1', 'try 2', 'try 3']);
  });

  it('chaos rehearses failures: every attempt of a task with failureRate 1 fails on purpose and is retried; the workflow-level chaos covers the other tasks', async () => {
    box.write(
      'wf.yaml',
      `chaos: { failureRate: 0, latency: 200ms }
tasks:
  calm:
    command: echo calm >> ran.txt
  doomed:
    dependsOn: calm
    command: echo doomed >> ran.txt
    retry: { attempts: 3, initial: 10ms, max: 20ms }
    chaos: { failureRate: 1 }
`,
    );
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'calm').status).toBe('succeeded');
    expect(step(run, 'doomed').history.map((h) => h.status)).toEqual(['failed', 'failed', 'failed']);
    expect(box.lines('ran.txt')).toEqual(['calm']);
    const logs = await box.run(['logs', run.id, 'doomed']);
    expect(logs.stdout).toMatch(/chaos: this attempt fails on purpose \(failureRate 1\)/);
    const bad = box.write('bad.yaml', 'chaos: { failureRate: 2, latncy: 1s }\ntasks: [{ id: a, command: x }]\n');
    const checked = await box.run(['validate', bad]);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain('bad.yaml:1:26: unknown key "latncy" — did you mean "latency"?');
    expect(checked.stderr).toContain('bad.yaml:1:23: failureRate is a probability from 0 to 1, got 2');
  });

  it('does not retry a non-retryable exit code', async () => {
    box.write('wf.yaml', `tasks:\n  bad:\n    command: echo x >> tries.txt; exit 78\n    retry: { attempts: 5, initial: 10ms, nonRetryableExitCodes: [78] }\n`);
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    expect(step(JSON.parse(res.stdout) as RunJson, 'bad')).toMatchObject({ status: 'failed', attempts: 1, exitCode: 78 });
    expect(box.lines('tries.txt')).toHaveLength(1);
  });

  it('skips dependents of a failed task and lets independent branches finish', async () => {
    box.write(
      'wf.yaml',
      `tasks:
  broken: { command: exit 3 }
  after-broken: { command: touch should-not-exist, dependsOn: [broken] }
  after-after: { command: touch should-not-exist, dependsOn: [after-broken] }
  independent: { command: sleep 0.3 && touch independent-ran }
  cleanup: { command: touch cleanup-ran, dependsOn: [after-broken], if: always() }
`,
    );
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(run.status).toBe('failed');
    expect(Object.fromEntries(run.steps.map((s) => [s.id, s.status]))).toEqual({
      broken: 'failed',
      'after-broken': 'skipped',
      'after-after': 'skipped',
      independent: 'succeeded',
      cleanup: 'succeeded',
    });
    expect(box.read('independent-ran')).toBe('');
    expect(() => box.read('should-not-exist')).toThrow();
  });

  it('stops at once with failFast', async () => {
    box.write(
      'wf.yaml',
      `failFast: true
tasks:
  broken: { command: sleep 0.2; exit 1 }
  slow: { command: sleep 30 && touch slow-finished }
`,
    );
    const started = Date.now();
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.code).toBe(1);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'slow').status).toBe('cancelled');
    expect(run.status).toBe('failed');
  });

  it('runs rollbacks of succeeded tasks in reverse completion order when the run fails', async () => {
    box.write(
      'wf.yaml',
      `tasks:
  first: { command: echo first >> done.txt, rollback: echo undo-first >> undo.txt }
  second: { command: echo second >> done.txt, rollback: echo undo-second >> undo.txt, dependsOn: [first] }
  no-rollback: { command: echo third >> done.txt, dependsOn: [second] }
  fails: { command: exit 1, dependsOn: [no-rollback] }
`,
    );
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    expect(box.lines('undo.txt')).toEqual(['undo-second', 'undo-first']);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'first').status).toBe('compensated');
    expect(step(run, 'second').status).toBe('compensated');
    expect(step(run, 'second.rollback')).toMatchObject({ kind: 'rollback', status: 'succeeded' });
    expect(run.status).toBe('failed');
  });

  it('a run timeout stops the run, records it timed_out and runs rollbacks', async () => {
    box.write(
      'wf.yaml',
      `timeout: 700ms
tasks:
  quick: { command: 'true', rollback: echo undone >> undo.txt }
  slow: { command: sleep 30, dependsOn: [quick] }
`,
    );
    const started = Date.now();
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.code).toBe(1);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(run.status).toBe('timed_out');
    expect(run.error).toMatch(/run timed out after/);
    expect(step(run, 'slow').status).toBe('cancelled');
    expect(step(run, 'quick').status).toBe('compensated');
    expect(box.lines('undo.txt')).toEqual(['undone']);
  });

  it('keeps state where --home or BATON_HOME says', async () => {
    box.write('wf.yaml', `tasks:\n  a: { command: 'true' }\n`);
    expect((await box.run(['run', 'wf.yaml', '--home', 'state-a'])).code).toBe(0);
    expect((await box.run(['run', 'wf.yaml'], { BATON_HOME: box.path('state-b') })).code).toBe(0);
    expect(await box.json<unknown[]>(['runs', '--home', 'state-a'])).toHaveLength(1);
    expect(await box.json<unknown[]>(['runs'], { BATON_HOME: box.path('state-b') })).toHaveLength(1);
    expect(box.read('state-a/baton.db').length).toBeGreaterThan(0);
    expect((await box.run(['runs'])).code).toBe(2);
  });

  it('fails an attempt whose healthCheck fails', async () => {
    box.write('wf.yaml', `tasks:\n  svc: { command: echo up, healthCheck: test -f healthy }\n`);
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    expect(step(JSON.parse(res.stdout) as RunJson, 'svc').error).toMatch(/healthCheck exited with code 1/);
    box.write('healthy', '');
    expect((await box.run(['run', 'wf.yaml'])).code).toBe(0);
  });

  it('masks secrets in logs and outputs', async () => {
    box.write(
      'wf.yaml',
      `secrets: [API_TOKEN]
tasks:
  use:
    command: echo "token is $API_TOKEN" && echo "leak=$API_TOKEN" >> "$BATON_OUTPUT"
`,
    );
    const missing = await box.run(['run', 'wf.yaml'], { API_TOKEN: undefined });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/API_TOKEN not set/);
    const res = await box.run(['run', 'wf.yaml', '--json'], { API_TOKEN: 's3cr3t-value' });
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('s3cr3t-value');
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'use').outputs).toEqual({ leak: '***' });
    const logs = await box.run(['logs', run.id]);
    expect(logs.stdout).toContain('token is ***');
    expect(logs.stdout).not.toContain('s3cr3t');
  });

  it('respects the concurrency limit', async () => {
    const tasks = Array.from({ length: 8 }, (_, i) => `  t${i}: { command: 'echo start $(date +%s%N) >> spans.txt; sleep 0.15; echo end $(date +%s%N) >> spans.txt' }`).join('\n');
    box.write('wf.yaml', `tasks:\n${tasks}\n`);
    const res = await box.run(['run', 'wf.yaml', '--concurrency', '3']);
    expect(res.code).toBe(0);
    const events = box.lines('spans.txt').map((l) => l.split(' ') as [string, string]).sort((a, b) => Number(BigInt(a[1]) - BigInt(b[1])));
    let live = 0;
    let peak = 0;
    for (const [kind] of events) {
      live += kind === 'start' ? 1 : -1;
      peak = Math.max(peak, live);
    }
    expect(peak).toBe(3);
  });

  it('exits 2 with file:line:col for an invalid file, and for usage errors', async () => {
    box.write('bad.yaml', `tasks:\n  a:\n    command: echo\n    dependOn: [b]\n`);
    const res = await box.run(['run', 'bad.yaml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^bad\.yaml:4:5: .*dependOn.*dependsOn/m);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect((await box.run(['run'])).code).toBe(2);
    expect((await box.run(['frobnicate'])).code).toBe(2);
    expect((await box.run(['run', 'missing.yaml'])).code).toBe(2);
    box.write('ok.yaml', `inputs: { env: { default: a, enum: [a, b] } }\ntasks: { x: { command: 'true' } }\n`);
    const badInput = await box.run(['run', 'ok.yaml', '--input', 'env=c']);
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toMatch(/env/);
    expect((await box.run(['show', 'nope'])).code).toBe(2);
  });
});
