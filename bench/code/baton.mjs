// baton's side of a measurement (in the child process): the scenario as a code
// workflow on the SQLite store of dist/, timed, then checked against the store.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, check, latencyStats } from './common.mjs';

export async function runBaton(scenario, durability, db, { steps, shape, prof }) {
  const { createEngine, SqliteStore, defineWorkflow, expressionHost } = await import(pathToFileURL(join(ROOT, 'dist/index.js')).href);
  const store = new SqliteStore({ path: db, durability });
  await store.migrate();
  const engine = createEngine({ store, expr: expressionHost });
  const noop = () => null;
  let out;
  const verify = async (runIds, expectedSteps, expectedResult) => {
    for (const runId of runIds) {
      const run = await store.getRun(runId);
      check(run?.status === 'succeeded', `run ${runId} is ${run?.status}`);
      const detail = await store.getRunDetail(runId);
      check(expectedResult === undefined || detail?.result === expectedResult, `run ${runId} result ${detail?.result}, expected ${expectedResult}`);
      const rows = await store.getSteps(runId);
      const ok = rows.filter((s) => s.kind === 'step' && s.status === 'succeeded' && s.attempt === 1).length;
      check(ok === expectedSteps && rows.length === expectedSteps, `run ${runId}: ${ok} of ${rows.length} steps succeeded in one attempt, expected ${expectedSteps}`);
    }
  };

  if (scenario === 'chain') {
    const wf = defineWorkflow('bench-chain', async (ctx, n) => {
      const times = new Array(n + 1);
      times[0] = performance.now();
      for (let i = 0; i < n; i++) {
        await ctx.step('s', noop);
        times[i + 1] = performance.now();
      }
      return times;
    });
    await prof.start();
    const h = await engine.start(wf, { input: steps });
    const status = await h.result;
    await prof.stop();
    check(status === 'succeeded', `chain run ${status}`);
    const detail = await store.getRunDetail(h.runId);
    out = latencyStats(JSON.parse(detail.result));
    await verify([h.runId], steps);
  } else if (scenario === 'throughput') {
    const [runs, batches, size] = shape;
    const wf = defineWorkflow('bench-throughput', async (ctx, { batches, size }) => {
      let done = 0;
      for (let b = 0; b < batches; b++) {
        const ps = new Array(size);
        for (let i = 0; i < size; i++) ps[i] = ctx.step('s', noop);
        done += (await Promise.all(ps)).length;
      }
      return done;
    });
    await prof.start();
    const t0 = performance.now();
    const handles = [];
    for (let r = 0; r < runs; r++) handles.push(await engine.start(wf, { input: { batches, size } }));
    const statuses = await Promise.all(handles.map((h) => h.result));
    const ms = performance.now() - t0;
    await prof.stop();
    check(statuses.every((s) => s === 'succeeded'), `throughput runs: ${statuses.join(', ')}`);
    out = { ms, steps: runs * batches * size, stepsPerSec: (runs * batches * size * 1000) / ms };
    await verify(
      handles.map((h) => h.runId),
      batches * size,
      String(batches * size),
    );
  } else if (scenario === 'fanout') {
    const wf = defineWorkflow('bench-fanout', async (ctx, width) => {
      await ctx.step('first', noop);
      const ps = new Array(width);
      for (let i = 0; i < width; i++) ps[i] = ctx.step('s', noop);
      const all = await Promise.all(ps);
      await ctx.step('join', noop);
      return all.length;
    });
    await prof.start();
    const t0 = performance.now();
    const h = await engine.start(wf, { input: steps });
    const status = await h.result;
    const ms = performance.now() - t0;
    await prof.stop();
    check(status === 'succeeded', `fan-out run ${status}`);
    out = { ms, steps: steps + 2 };
    await verify([h.runId], steps + 2, String(steps));
  } else throw new Error(`unknown scenario ${scenario}`);
  await store.close();
  return out;
}
