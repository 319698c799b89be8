/**
 * Faults a shared store must survive: a worker frozen (SIGSTOP) past its
 * lease, whose stale completion must be refused; and every baton connection
 * killed (pg_terminate_backend) every 500 ms during a run of 1,000 steps.
 */
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflowText } from '../../src/spec/index.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { processesWith, Sandbox, until, type RunJson } from '../helpers/cli.js';
import { dropSchema, freshSchema, PG_URL } from '../helpers/postgres.js';

const schema = freshSchema();
const DB = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
let store: PgStore;
beforeAll(async () => {
  store = new PgStore({ url: PG_URL, schema });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await dropSchema(schema);
});

describe('worker faults on PostgreSQL', () => {
  it('a worker frozen past its lease: its step runs again elsewhere, and its stale completion is refused', async () => {
    const box = new Sandbox();
    const procs: ChildProcess[] = [];
    try {
      const file = box.write(
        'stop.yaml',
        ['name: stop', 'tasks:', '  - id: slow', '    command: sleep 1.25; echo "who=$WORKER_NAME" >> "$BATON_OUTPUT"; echo "$WORKER_NAME" >> effects.txt', ''].join('\n'),
      );
      const flags = ['--lease', '1s', '--sweep', '200ms'];
      const a = box.start(['worker', '--db', DB, ...flags], { WORKER_NAME: 'a' });
      procs.push(a.child);
      const runId = (await box.run(['run', file, '--db', DB, '--detach'])).stdout.trim();
      await until(() => processesWith('sleep 1.25').length > 0, 15_000);
      a.child.kill('SIGSTOP');
      const b = box.start(['worker', '--db', DB, ...flags], { WORKER_NAME: 'b' });
      procs.push(b.child);
      await until(() => a.output() === '' && b.output().includes('run succeeded'), 20_000);
      expect(box.lines('effects.txt').sort()).toEqual(['a', 'b']);
      a.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 700));
      const shown = await box.json<RunJson>(['show', runId, '--db', DB]);
      expect(shown.status).toBe('succeeded');
      const slow = shown.steps.find((s) => s.id === 'slow');
      expect(slow?.outputs).toEqual({ who: 'b' });
      expect(slow?.history.map((h) => h.status)).toEqual(['crashed', 'succeeded']);
      // The frozen worker's completion came after its lease: it recorded nothing.
      expect(a.output()).not.toMatch(/slow succeeded/);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      box.remove();
    }
  }, 60_000);

  it('every baton connection killed every 500 ms during 1,000 steps: all complete, each once', async () => {
    const box = new Sandbox();
    const procs: ChildProcess[] = [];
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    let killed = 0;
    let rounds = 0;
    const killer = setInterval(() => {
      admin
        .query(`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'baton' AND datname = current_database() AND pid <> pg_backend_pid()`)
        .then((r) => {
          const n = Number((r.rows[0] as { n: string }).n);
          killed += n;
          if (n > 0) rounds++;
        })
        .catch(() => undefined);
    }, 500);
    try {
      const fx = resolve(import.meta.dirname, '../fixtures/worker/effect.mjs');
      const effects = box.path('effects.txt');
      const tasks = Array.from({ length: 100 }, (_, i) => `  - id: s${i}\n    function: ${fx}#effect\n    input: { file: ${JSON.stringify(effects)}, ms: 40 }${i >= 5 ? `\n    dependsOn: s${i - 5}` : ''}`);
      const loaded = loadWorkflowText(`name: conn\ntasks:\n${tasks.join('\n')}\n`, join(box.dir, 'conn.yaml'));
      if (!loaded.ok) throw new Error('fixture');
      const ids = Array.from({ length: 10 }, (_, i) => `conn${i}`);
      for (const id of ids) {
        await store.createRun({ id, workflow: 'conn', definition: { ...loaded.workflow, workdir: box.dir }, input: {}, steps: loaded.workflow.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn })) }, null);
      }
      const errs = new Map<string, string>();
      for (const name of ['a', 'b']) {
        const w = box.start(['worker', '--db', DB, '--concurrency', '8', '--lease', '2s', '--sweep', '300ms'], { WORKER_NAME: name });
        procs.push(w.child);
        errs.set(name, '');
        w.child.stderr?.on('data', (d: Buffer) => errs.set(name, ((errs.get(name) ?? '') + d.toString()).slice(-4000)));
      }
      // What the workers said and whether they still live, for a failure to explain itself.
      const workersSaid = () =>
        [...errs].map(([name, err], i) => `worker ${name} (exit ${procs[i]?.exitCode ?? procs[i]?.signalCode ?? 'none: alive'}):\n${err.split('\n').slice(-25).join('\n')}`).join('\n');
      const deadline = Date.now() + 120_000;
      for (;;) {
        const runs = await Promise.all(ids.map((id) => store.getRun(id)));
        if (runs.every((r) => r?.status === 'succeeded')) break;
        if (runs.some((r) => r && r.status !== 'running' && r.status !== 'succeeded')) throw new Error(`a run ended ${runs.map((r) => r?.status).join(',')}\n${workersSaid()}`);
        if (Date.now() > deadline) throw new Error(`not done after 120 s: ${runs.map((r) => r?.status).join(',')}\n${workersSaid()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      for (const id of ids) {
        const steps = await store.getSteps(id);
        expect(steps.filter((s) => s.status === 'succeeded')).toHaveLength(100);
        const attempts = await store.getAttempts(id);
        for (const s of steps) expect(attempts.filter((a) => a.stepId === s.id && a.status === 'succeeded')).toHaveLength(1);
      }
      const lines = box.lines('effects.txt');
      expect(new Set(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).size).toBe(1000);
      // 1,000 steps of 40 ms, 16 at once: about 3 s, so about 6 rounds of kills landed in the run.
      expect(rounds).toBeGreaterThanOrEqual(4);
      expect(killed).toBeGreaterThan(10);
      console.log({ rounds, killed, effects: lines.length });
    } finally {
      clearInterval(killer);
      for (const p of procs) p.kill('SIGKILL');
      await admin.end();
      box.remove();
    }
  }, 150_000);
});
