/**
 * The engine through the library API, with the in-process launcher (the CLI
 * uses the spawner process; both honour the run's slot pool).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, expressionHost, loadWorkflowText, SqliteStore } from '../../src/index.js';
import type { WorkflowDef } from '../../src/index.js';

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-engine-'));
  store = new SqliteStore({ path: join(dir, 'baton.db') });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string): WorkflowDef {
  const r = loadWorkflowText(yaml, 'wf.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.workflow;
}

describe('engine (in-process launcher)', () => {
  it('runs a graph, keeps to the concurrency limit and reports live events', async () => {
    const tasks = Array.from({ length: 6 }, (_, i) => `  t${i}: { command: 'echo s $(date +%s%N) >> spans; sleep 0.1; echo e $(date +%s%N) >> spans' }`).join('\n');
    const def = load(`concurrency: 2\ntasks:\n${tasks}\n  last: { command: echo done, dependsOn: [t0, t5] }\n`);
    const engine = createEngine({ store, expr: expressionHost });
    const seen: string[] = [];
    engine.on('step:finished', (e) => seen.push(`${e.stepId}:${e.status}`));
    const logs: string[] = [];
    engine.on('step:log', (e) => logs.push(`${e.stepId}:${e.line}`));
    const handle = await engine.start(def, { workdir: dir });
    expect(await handle.result).toBe('succeeded');
    expect(seen).toHaveLength(7);
    // last ends after its dependencies (t4 may still be running beside it: concurrency 2 leaves it a slot).
    expect(seen.indexOf('last:succeeded')).toBeGreaterThan(Math.max(seen.indexOf('t0:succeeded'), seen.indexOf('t5:succeeded')));
    expect(logs).toContain('last:done');
    const spans = readFileSync(join(dir, 'spans'), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);
    spans.sort((a, b) => (BigInt(a[1]) < BigInt(b[1]) ? -1 : 1));
    let live = 0;
    let peak = 0;
    for (const [k] of spans) peak = Math.max(peak, (live += k === 's' ? 1 : -1));
    expect(peak).toBe(2);
  });

  it('cancel stops running processes and records the run cancelled', async () => {
    const def = load(`tasks:\n  long: { command: sleep 30 }\n`);
    const engine = createEngine({ store, expr: expressionHost, killGraceMs: 200 });
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    engine.on('step:started', () => started());
    const handle = await engine.start(def, { workdir: dir });
    await isRunning;
    const t0 = Date.now();
    await handle.cancel();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await handle.result).toBe('cancelled');
    expect((await store.getRun(handle.runId))?.status).toBe('cancelled');
  });
});
