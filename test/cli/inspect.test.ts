import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, step, type RunJson } from '../helpers/cli.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.remove());

describe('retry, graph, validate', () => {
  it('retry re-runs only failed tasks and what they skipped', async () => {
    box.write(
      'wf.yaml',
      `tasks:
  good: { command: echo good >> effects.txt }
  flaky: { command: echo flaky >> effects.txt && test -f fixed, dependsOn: [good] }
  after: { command: echo after >> effects.txt, dependsOn: [flaky] }
  side: { command: echo side >> effects.txt }
`,
    );
    const first = await box.run(['run', 'wf.yaml', '--json']);
    expect(first.code).toBe(1);
    const id = (JSON.parse(first.stdout) as RunJson).id;
    box.write('fixed', '');
    const again = await box.run(['retry', id.slice(0, 10), '--json']);
    expect(again.code).toBe(0);
    const run = JSON.parse(again.stdout) as RunJson;
    expect(run.status).toBe('succeeded');
    expect(run.runAttempt).toBe(2);
    expect(step(run, 'flaky').attempts).toBe(2);
    expect(box.lines('effects.txt').sort()).toEqual(['after', 'flaky', 'flaky', 'good', 'side'].sort());
    const noMore = await box.run(['retry', id]);
    expect(noMore.code).toBe(2);
    expect(noMore.stderr).toMatch(/nothing to retry/);
  });

  it('graph prints text, mermaid and dot', async () => {
    box.write('wf.yaml', `tasks:\n  a: { command: 'true' }\n  b: { command: 'true', dependsOn: [a] }\n`);
    expect((await box.run(['graph', 'wf.yaml'])).stdout).toMatch(/stage 1\n {2}a\nstage 2\n {2}b {2}<- a/);
    expect((await box.run(['graph', 'wf.yaml', '--format', 'mermaid'])).stdout).toMatch(/flowchart LR[\s\S]*t0 --> t1/);
    expect((await box.run(['graph', 'wf.yaml', '--format', 'dot'])).stdout).toMatch(/"a" -> "b";/);
    expect((await box.run(['graph', 'wf.yaml', '--format', 'png'])).code).toBe(2);
  });

  it('validate reports every problem with file:line:col and exit 2', async () => {
    box.write(
      'bad.yaml',
      `tasks:
  a: { command: 'true', dependsOn: [c] }
  b: { command: 'true', dependsOn: [c], timeout: soon }
  c: { command: 'true', dependsOn: [b] }
`,
    );
    const res = await box.run(['validate', 'bad.yaml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^bad\.yaml:\d+:\d+: .*cycle: [bc] -> [bc] -> [bc]/m);
    expect(res.stderr).toMatch(/^bad\.yaml:3:\d+: .*soon/m);
    box.write('good.yaml', `tasks:\n  a: { command: 'true' }\n`);
    const ok = await box.run(['validate', 'good.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('good.yaml: ok');
  });
});
