import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesWith, Sandbox, step, until, type RunJson } from '../helpers/cli.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.remove());

describe('process groups', () => {
  it('a timeout kills the whole process group: no grandchild survives', async () => {
    const marker = `6${Math.floor(Math.random() * 1e6)}.5`;
    box.write('wf.yaml', `tasks:\n  hang:\n    command: sh -c 'sleep ${marker} & wait'\n    timeout: 1s\n`);
    const started = Date.now();
    const res = await box.run(['run', 'wf.yaml', '--json']);
    expect(res.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(8000);
    const run = JSON.parse(res.stdout) as RunJson;
    expect(step(run, 'hang').error).toMatch(/timed out after 1\.0s/);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('a process that ignores SIGTERM is killed after the grace period', async () => {
    const marker = `7${Math.floor(Math.random() * 1e6)}.5`;
    box.write('wf.yaml', `tasks:\n  stubborn:\n    command: trap '' TERM; sleep ${marker} & wait; wait\n    timeout: 500ms\n`);
    const res = await box.run(['run', 'wf.yaml'], {});
    expect(res.code).toBe(1);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('background processes left behind by a finished task are cleaned up', async () => {
    const marker = `8${Math.floor(Math.random() * 1e6)}.5`;
    box.write('wf.yaml', `tasks:\n  leaves-child:\n    command: sleep ${marker} & echo started\n`);
    const res = await box.run(['run', 'wf.yaml']);
    expect(res.code).toBe(0);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('Ctrl-C cancels the run, kills its processes, records it cancelled and exits 130', async () => {
    const marker = `9${Math.floor(Math.random() * 1e6)}.5`;
    box.write('wf.yaml', `tasks:\n  long:\n    command: echo running; sh -c 'sleep ${marker} & wait'\n  next:\n    command: touch next-ran\n    dependsOn: [long]\n`);
    const { child, output, done } = box.start(['run', 'wf.yaml']);
    await until(() => output().includes('[long] running') && processesWith(`sleep ${marker}`).length > 0);
    child.kill('SIGINT');
    const res = await done;
    expect(res.code).toBe(130);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    const runs = await box.json<Array<{ id: string; status: string }>>(['runs']);
    expect(runs[0]?.status).toBe('cancelled');
    const run = await box.json<RunJson>(['show', runs[0]!.id]);
    expect(step(run, 'long').status).toBe('cancelled');
    expect(step(run, 'next').status).toBe('cancelled');
  });

  it('kill -9 of baton ends the process groups of the tasks it was running', async () => {
    const marker = `5${Math.floor(Math.random() * 1e6)}.5`;
    box.write('wf.yaml', `tasks:\n  long:\n    command: echo running; sh -c 'sleep ${marker} & wait'\n`);
    const { child, output, done } = box.start(['run', 'wf.yaml']);
    await until(() => output().includes('[long] running') && processesWith(`sleep ${marker}`).length > 0);
    child.kill('SIGKILL');
    await done;
    await until(() => processesWith(`sleep ${marker}`).length === 0, 10_000);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    // The run is left as it was (running, its step's attempt open) for `baton resume`.
    const runs = await box.json<Array<{ id: string; status: string }>>(['runs']);
    expect(runs[0]?.status).toBe('running');
  });

  it('baton cancel stops a run driven by another process', async () => {
    box.write('wf.yaml', `tasks:\n  long:\n    command: echo running; sleep 30\n`);
    const { output, done } = box.start(['run', 'wf.yaml']);
    await until(() => output().includes('[long] running'));
    const id = /run (\w+)/.exec(output())?.[1] as string;
    const cancel = await box.run(['cancel', id]);
    expect(cancel.stdout).toContain('cancelled');
    expect((await done).code).toBe(130);
  });
});

describe('inputs reach commands byte for byte', () => {
  const nasty = [
    '$(touch pwned1)',
    '`touch pwned2`',
    'a; touch pwned3',
    "it's \"quoted\" \\ back",
    'line one\nline two\n',
    '&& touch pwned4 || true',
    '${HOME} $PATH *',
    '\'; touch pwned5; echo \'',
    ' leading and trailing spaces ',
    'ünïcødé ✓ 日本',
    '',
  ];
  it.each(nasty.map((v, i) => [i, v] as const))('payload %i', async (_i, value) => {
    box.write('wf.yaml', `inputs: { v: { default: x } }\ntasks:\n  echo:\n    command: printf %s ${'${{ inputs.v }}'} > got.txt && printf %s "$BATON_INPUT_V" > env.txt\n`);
    const res = await box.run(['run', 'wf.yaml', '--input', `v=${value}`]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(box.read('got.txt')).toBe(value);
    expect(box.read('env.txt')).toBe(value);
    for (let n = 1; n <= 5; n++) expect(() => box.read(`pwned${n}`)).toThrow();
  });
});
