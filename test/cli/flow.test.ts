/**
 * Flow control from the command line, on the embedded store: `baton run
 * --pool`, `baton pool`, and two `baton run` of a workflow limited to one
 * run at once, sharing one home.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/cli.js';
import { mostAtOnce, TASK } from '../helpers/flow-log.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.remove());

const pooled = ['name: pooled', 'tasks:', ...[0, 1, 2].flatMap((i) => [`  - id: t${i}`, '    pool: db', `    command: '${TASK(`db${i}`)}'`])].join('\n');

describe('baton run with pools and run limits', () => {
  it('refuses to start a run whose tasks take a pool no one defined, and says how to define it', async () => {
    box.write('pooled.yaml', pooled);
    const r = await box.run(['run', 'pooled.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('task pooled/t0 takes a slot of pool "db", which is not defined');
    expect(r.stderr).toContain('pass --pool NAME=SLOTS');
  });

  it('runs the tasks of a pool of one slot one at a time, and keeps the pool', async () => {
    box.write('pooled.yaml', pooled);
    const env = { FLOW_LOG: box.path('flow.log') };
    const r = await box.run(['run', 'pooled.yaml', '--pool', 'db=1', '--concurrency', '3'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('flow.log').filter((l) => l.startsWith('+'))).toHaveLength(3);
    expect(mostAtOnce(box.lines('flow.log'))).toBe(1);
    expect((await box.run(['pool', 'list'])).stdout).toBe('db               0/1 slots taken, 0 queued\n');
    expect((await box.run(['run', 'pooled.yaml', '--pool', 'db=0'])).stderr).toContain('--pool takes NAME=SLOTS');
  });

  it('queues a second run of a workflow limited to one run at once, and says what it waits for', async () => {
    box.write('one.yaml', ['name: one', 'concurrency: { runs: 1 }', 'tasks:', '  - id: work', `    command: '${TASK('one')}'`].join('\n'));
    const env = { FLOW_LOG: box.path('flow.log') };
    const first = box.start(['run', 'one.yaml'], env);
    await new Promise((r) => setTimeout(r, 150));
    const second = await box.run(['run', 'one.yaml'], env);
    const firstDone = await first.done;
    expect(firstDone.code, firstDone.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout + second.stderr).toContain('queued: waiting for runs of one: 1 of 1 running, 1 queued');
    expect(mostAtOnce(box.lines('flow.log'))).toBe(1);
    expect(box.lines('flow.log')).toHaveLength(4);
  });
});
