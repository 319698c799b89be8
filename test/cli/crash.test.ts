/**
 * kill -9 of `baton run` at random instants, then `baton resume`: tasks that
 * had succeeded before the kill never run again (their side effect is in the
 * file exactly once), every task ends succeeded, the lost attempts are
 * recorded as crashed.
 */
import { describe, expect, it } from 'vitest';
import { processesWith, Sandbox, type RunJson } from '../helpers/cli.js';

const SEEDS = 24;

function rng(seed: number): () => number {
  let s = seed * 2654435761;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s / 2 ** 32;
  };
}

function workflow(seed: number): string {
  const random = rng(seed);
  const lines = ['concurrency: 3', 'tasks:'];
  for (let i = 0; i < 12; i++) {
    const deps = i < 3 ? [] : [`t${Math.floor(random() * i)}`, `t${Math.floor(random() * i)}`];
    const sleep = (0.02 + random() * 0.12).toFixed(3);
    lines.push(`  t${i}:`);
    lines.push(`    command: sleep ${sleep} && echo t${i} >> effects.txt`);
    if (deps.length) lines.push(`    dependsOn: [${[...new Set(deps)].join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

describe('crash safety', () => {
  it(`kill -9 at random points then resume (${SEEDS} seeds)`, async () => {
    let killedMidRun = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const box = new Sandbox();
      try {
        box.write('wf.yaml', workflow(seed));
        const child = box.spawn(['run', 'wf.yaml']);
        let out = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise((r) => child.on('close', r));
        const delay = 80 + rng(seed + 1000)() * 700;
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await exited;
        const id = /run (\w+)/.exec(out)?.[1];
        if (!id) continue; // killed before the run was created: nothing to resume
        const before = await box.json<RunJson>(['show', id]);
        const succeededBefore = before.steps.filter((s) => s.status === 'succeeded').map((s) => s.id);
        const wasRunning = before.steps.filter((s) => s.status === 'running').map((s) => s.id);
        if (before.status === 'running') killedMidRun++;
        if (before.status === 'running') {
          const res = await box.run(['resume', id]);
          expect(res.stderr).toBe('');
          expect(res.code).toBe(0);
        }
        const after = await box.json<RunJson>(['show', id]);
        expect(after.status).toBe('succeeded');
        const effects = box.lines('effects.txt');
        for (const s of after.steps) {
          expect(s.status).toBe('succeeded');
          const count = effects.filter((e) => e === s.id).length;
          if (succeededBefore.includes(s.id)) expect(count, `seed ${seed}: ${s.id} succeeded before the kill`).toBe(1);
          else expect(count).toBeGreaterThanOrEqual(1);
        }
        for (const id of wasRunning) {
          const s = after.steps.find((x) => x.id === id)!;
          expect(s.history[0]?.status, `seed ${seed}: ${id}`).toBe('crashed');
          expect(s.history.at(-1)?.status).toBe('succeeded');
        }
        expect(processesWith(box.dir)).toEqual([]);
      } finally {
        box.remove();
      }
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(SEEDS / 2);
  }, 240_000);
});
