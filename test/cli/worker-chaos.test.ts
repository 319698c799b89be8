/**
 * 3 workers, 5,000 no-op steps in 50 runs of 100 (each appends
 * "run step attempt pid" to a file), one random worker killed with kill -9
 * and restarted every 2 s. Checked: every step succeeded exactly once in the
 * store; every step's effect is there; an effect of an attempt other than
 * the succeeded one is only of an attempt recorded crashed (a step in flight
 * on a killed worker). The checker is first shown to catch a planted
 * duplicate and a planted lost step.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { loadWorkflowText } from '../../src/spec/index.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import type { AttemptRow, StepRow } from '../../src/store/store.js';
import { Sandbox } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const RUNS = 50;
const STEPS = 100;

let store: PgStore;
beforeAll(async () => {
  store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dropSchema(schema);
});

interface Facts {
  steps: Map<string, StepRow[]>;
  attempts: Map<string, AttemptRow[]>;
  effects: string[];
}

/** Problems with the facts: lost steps, steps done twice, effects not explained by a crashed attempt. */
function check(f: Facts): string[] {
  const problems: string[] = [];
  const effects = new Map<string, number[]>();
  for (const line of f.effects) {
    const [run, step, attempt] = line.split(' ');
    const key = `${run} ${step}`;
    effects.set(key, [...(effects.get(key) ?? []), Number(attempt)]);
  }
  let total = 0;
  for (const [run, steps] of f.steps) {
    const attempts = f.attempts.get(run) ?? [];
    for (const s of steps) {
      total++;
      const key = `${run} ${s.id}`;
      if (s.status !== 'succeeded') problems.push(`${key}: ${s.status}`);
      const mine = attempts.filter((a) => a.stepId === s.id);
      const ok = mine.filter((a) => a.status === 'succeeded');
      if (ok.length !== 1) problems.push(`${key}: ${ok.length} succeeded attempts`);
      const done = effects.get(key) ?? [];
      if (!done.includes(s.attempt)) problems.push(`${key}: no effect of its succeeded attempt ${s.attempt}`);
      for (const a of done) {
        if (a === s.attempt) continue;
        if (!mine.some((x) => x.attempt === a && x.status === 'crashed')) problems.push(`${key}: effect of attempt ${a}, which is not a crashed attempt`);
      }
      if (done.filter((a) => a === s.attempt).length > 1) problems.push(`${key}: the succeeded attempt's effect is there twice`);
    }
  }
  if (total !== RUNS * STEPS) problems.push(`${total} steps in the store, expected ${RUNS * STEPS}`);
  return problems;
}

describe('3 workers, kill -9 every 2 s', () => {
  it('every step is done once; re-executions only of steps in flight on a killed worker', async () => {
    const box = new Sandbox();
    const file = box.path('effects.txt');
    const fx = resolve(import.meta.dirname, '../fixtures/worker/effect.mjs');
    const tasks = Array.from({ length: STEPS }, (_, i) => `  - id: s${i}\n    function: ${fx}#effect\n    input: { file: ${JSON.stringify(file)}, ms: 60 }${i >= 10 ? `\n    dependsOn: s${i - 10}` : ''}`);
    const loaded = loadWorkflowText(`name: chaos\ntasks:\n${tasks.join('\n')}\n`, join(box.dir, 'chaos.yaml'));
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
    const runIds = Array.from({ length: RUNS }, (_, i) => `chaos${String(i).padStart(3, '0')}`);
    for (const id of runIds) {
      await store.createRun({ id, workflow: 'chaos', definition: { ...loaded.workflow, workdir: box.dir }, input: {}, steps: loaded.workflow.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn })) }, null);
    }
    const workers: Array<ChildProcess | undefined> = [];
    const startWorker = (i: number) => {
      workers[i] = box.spawn(['worker', '--db', DB, '--concurrency', '16', '--lease', '1s', '--sweep', '250ms']);
    };
    for (let i = 0; i < 3; i++) startWorker(i);
    let kills = 0;
    const chaos = setInterval(() => {
      const i = Math.floor(Math.random() * 3);
      workers[i]?.kill('SIGKILL');
      kills++;
      startWorker(i);
    }, 2000);
    const deadline = Date.now() + 100_000;
    try {
      for (;;) {
        const open = await store.listRuns({ status: 'running', limit: 1 });
        if (open.length === 0) break;
        if (Date.now() > deadline) throw new Error(`runs still open after 100 s: ${open[0]?.id}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      clearInterval(chaos);
      for (const w of workers) w?.kill('SIGKILL');
    }
    const facts: Facts = { steps: new Map(), attempts: new Map(), effects: box.lines('effects.txt') };
    for (const id of runIds) {
      facts.steps.set(id, await store.getSteps(id));
      facts.attempts.set(id, await store.getAttempts(id));
      expect((await store.getRun(id))?.status).toBe('succeeded');
    }
    // The checker first catches planted faults.
    const someStep = (facts.steps.get(runIds[0] as string) ?? [])[0] as StepRow;
    expect(check({ ...facts, effects: [...facts.effects, `${runIds[0]} ${someStep.id} ${someStep.attempt} 1`] })).toContainEqual(expect.stringMatching(/the succeeded attempt's effect is there twice/));
    expect(check({ ...facts, effects: facts.effects.filter((l) => !l.startsWith(`${runIds[1]} s5 `)) })).toContainEqual(expect.stringMatching(/s5: no effect/));
    expect(check({ ...facts, effects: [...facts.effects, `${runIds[2]} s7 9 1`] })).toContainEqual(expect.stringMatching(/not a crashed attempt/));
    expect(check(facts)).toEqual([]);
    const crashed = [...facts.attempts.values()].flat().filter((a) => a.status === 'crashed').length;
    console.log({ kills, crashed, effects: facts.effects.length });
    // Steps of 60 ms, 48 at once: the 5,000 take over 6 s, so several kills land in them.
    expect(kills).toBeGreaterThanOrEqual(2);
    box.remove();
  }, 150_000);
});
