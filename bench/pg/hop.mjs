// A chain hop without a worker: one process drives the store's round trip
// (PgStore.stepBatch: finish the step in hand, take its dependent) hop by hop
// along a chain, and after each hop times the floor (one single-row UPDATE
// and its commit) on a connection of its own. What is left of a bench/pg.mjs
// chain hop above this is the worker process.
//
//   node bench/pg/hop.mjs [--steps N (2,000)] [--warm N (500 hops not counted)] [--sql FILE (run in the schema after the migrations, e.g. a variant of baton_step_batch from bench/pg/variant.mjs)]
//
// Needs dist/ (npm run build) and BATON_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test); works in a schema of its own, dropped at the end.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PG_URL, dist, percentile, qi } from './common.mjs';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '2000' }, warm: { type: 'string', default: '500' }, sql: { type: 'string' } } });
const steps = Number(values.steps);
const warm = Number(values.warm);
if (!(Number.isInteger(steps) && Number.isInteger(warm) && warm >= 0 && steps > warm + 1)) {
  process.stderr.write(`bench/pg/hop.mjs: --steps must be a whole number above --warm + 1 (got --steps ${values.steps} --warm ${values.warm})\n`);
  process.exit(2);
}

const [{ PgStore }, { loadWorkflowText }] = await Promise.all([dist('store/postgres/pg-store.js'), dist('spec/index.js')]);
const schema = `bench_hop_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
const store = new PgStore({ url: PG_URL, schema, max: 2 });
const floor = new pg.Client({ connectionString: PG_URL });
try {
  await store.migrate();
  await admin.query(`SET search_path = ${qi(schema)}`);
  if (values.sql) await admin.query(readFileSync(values.sql, 'utf8'));
  const tasks = Array.from({ length: steps }, (_, i) => (i > 0 ? { id: `s${i}`, function: 'noop.mjs#noop', dependsOn: [`s${i - 1}`] } : { id: 's0', function: 'noop.mjs#noop' }));
  const loaded = loadWorkflowText(JSON.stringify({ name: 'hop', tasks }), 'hop.json');
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
  await store.createRun({ id: 'c', workflow: 'hop', definition: loaded.workflow, input: {}, steps: tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn ?? [] })) }, null);

  await floor.connect();
  await floor.query(`SET search_path = ${qi(schema)}`);
  await floor.query('CREATE TABLE bench_floor (id int PRIMARY KEY, n bigint NOT NULL)');
  await floor.query('INSERT INTO bench_floor VALUES (1, 0)');
  const bump = { name: 'bench_floor_hop', text: 'UPDATE bench_floor SET n = n + 1 WHERE id = 1' };

  // As a worker at concurrency 24 sends it: room for 24 claims.
  const claim = { owner: 'bench:hop', limit: 24, leaseMs: 30_000 };
  let [inHand] = (await store.stepBatch({ finishes: [], claim })).claims;
  const hops = [];
  const floors = [];
  for (let i = 1; i < steps; i++) {
    const t0 = performance.now();
    const r = await store.stepBatch({ finishes: [{ claim: inHand, outcome: { status: 'succeeded', exitCode: 0 } }], claim });
    const t1 = performance.now();
    if (!r.finished[0]?.accepted || r.claims.length !== 1) throw new Error(`hop ${i}: expected the finish accepted and s${i} claimed, got ${JSON.stringify(r)}`);
    [inHand] = r.claims;
    await floor.query(bump);
    const t2 = performance.now();
    if (i > warm) {
      hops.push(t1 - t0);
      floors.push(t2 - t1);
    }
  }
  hops.sort((a, b) => a - b);
  floors.sort((a, b) => a - b);
  const ms = (v) => v.toFixed(3);
  process.stdout.write(
    `${hops.length} hops after ${warm}: round trip p50 ${ms(percentile(hops, 50))} ms, p90 ${ms(percentile(hops, 90))}, p99 ${ms(percentile(hops, 99))}; floor p50 ${ms(percentile(floors, 50))} ms, p99 ${ms(percentile(floors, 99))}\n`,
  );
} finally {
  await floor.end().catch(() => undefined);
  await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${qi(schema)} CASCADE`).catch((error) => process.stderr.write(`dropping ${schema}: ${error.message}\n`));
  await admin.end();
}
