// The contenders: baton's adapter here, the peers' in bench/peers/peers.mjs.
// Each: prepare (enqueue the scenario's jobs), finished, verify, cleanup, and
// startWorker (in a worker process: set up, then go / stop).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { BENCH, CONTENDERS, PEERS, TASK, WIDTH, dist, qi } from './common.mjs';

const baton = {
  async prepare(m) {
    const [{ PgStore }, { loadWorkflowText }] = await Promise.all([dist('store/postgres/pg-store.js'), dist('spec/index.js')]);
    const store = new PgStore({ url: m.url, schema: m.schema, max: 2 });
    let runs;
    try {
      await store.migrate();
      if (m.functionSql) {
        const c = new pg.Client({ connectionString: m.workerUrl });
        await c.connect();
        await c.query(m.functionSql).finally(() => c.end());
      }
      const fn = `${TASK}#noop`;
      const task = (id, dependsOn = []) => (dependsOn.length > 0 ? { id, function: fn, dependsOn } : { id, function: fn });
      if (m.scenario === 'throughput') {
        const tasks = Array.from({ length: m.shape.steps }, (_, i) => task(`s${i}`));
        runs = Array.from({ length: m.shape.runs }, (_, r) => [`t${r}`, tasks]);
      } else if (m.scenario === 'chain') {
        runs = [['c', Array.from({ length: m.chain }, (_, i) => task(`s${i}`, i > 0 ? [`s${i - 1}`] : []))]];
      } else {
        const children = Array.from({ length: WIDTH }, (_, i) => `s${i}`);
        runs = [['f', [task('first'), ...children.map((id) => task(id, ['first'])), task('join', children)]]];
      }
      for (const [id, tasks] of runs) {
        const loaded = loadWorkflowText(JSON.stringify({ name: `bench-${m.scenario}`, tasks }), join(BENCH, `bench-${m.scenario}.json`));
        if (!loaded.ok) throw new Error(`bench workflow: ${loaded.problems.map((p) => p.message).join('; ')}`);
        const definition = { ...loaded.workflow, workdir: BENCH };
        await store.createRun({ id, workflow: definition.name, definition, input: {}, steps: definition.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn })) }, null);
      }
    } finally {
      await store.close();
    }
    return { pool: new pg.Pool({ connectionString: m.url, max: 1 }), runCount: runs.length };
  },
  async finished(s, m) {
    const { rows } = await s.pool.query(`SELECT count(*)::int AS n FROM ${qi(m.schema)}.runs WHERE status NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out')`);
    return rows[0].n === 0;
  },
  async verify(s, m) {
    const t = (name) => `${qi(m.schema)}.${name}`;
    const { rows } = await s.pool.query(`SELECT
        (SELECT count(*) FROM ${t('runs')})::int AS runs,
        (SELECT count(*) FROM ${t('runs')} WHERE status = 'succeeded')::int AS runs_ok,
        (SELECT count(*) FROM ${t('steps')})::int AS steps,
        (SELECT count(*) FROM ${t('steps')} WHERE status = 'succeeded' AND attempt = 1)::int AS steps_ok,
        (SELECT count(*) FROM ${t('attempts')})::int AS attempts,
        (SELECT count(*) FROM ${t('attempts')} WHERE status = 'succeeded')::int AS attempts_ok`);
    const r = rows[0];
    // A variant of the functions (run --function) may write no history: its runs and steps are still checked.
    const want = { runs: s.runCount, runs_ok: s.runCount, steps: m.total, steps_ok: m.total, ...(m.functionSql ? {} : { attempts: m.total, attempts_ok: m.total }) };
    const off = Object.keys(want).filter((k) => r[k] !== want[k]);
    return off.length === 0 ? [] : [`baton store: ${off.map((k) => `${k} ${r[k]} (expected ${want[k]})`).join(', ')}`];
  },
  async cleanup(s) {
    await s.pool?.end();
  },
  /** In a worker process: what `baton worker --db URL --concurrency N` builds, but started on "go". */
  async startWorker(m) {
    const [{ openStore, buildEngine, startSpawner }, { Worker, WORKER_DEFAULTS }] = await Promise.all([dist('cli/home.js'), dist('engine/worker.js')]);
    const home = mkdtempSync(join(os.tmpdir(), 'baton-bench-pg-'));
    const spawner = startSpawner();
    const store = await openStore(home, { db: m.workerUrl });
    const { engine, close } = await buildEngine(store, home, await spawner);
    const options = m.baton.defaults
      ? { concurrency: WORKER_DEFAULTS.concurrency }
      : {
          concurrency: m.baton.concurrency,
          ...(m.baton.claimAhead !== undefined ? { claimAhead: m.baton.claimAhead } : {}),
          leaseMs: m.baton.leaseMs,
          heartbeatMs: m.baton.heartbeatMs,
          sweepMs: m.baton.sweepMs,
        };
    const worker = new Worker(engine, {
      ...options,
      onWarning: (message) => process.stderr.write(`baton worker: ${message}\n`),
    });
    const stop = new AbortController();
    let running;
    return {
      async go() {
        running = worker.run(stop.signal);
      },
      async stop() {
        stop.abort();
        await running;
        close();
        await store.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  },
};

let peerModule;
export const loadPeers = async () => (peerModule ??= await import(pathToFileURL(join(PEERS, 'peers.mjs')).href));
export async function adapterOf(contender) {
  if (contender === 'baton' || contender === 'baton (default)') return baton;
  const adapter = (await loadPeers()).peers[contender];
  if (!adapter) throw new Error(`unknown contender "${contender}" (one of: ${CONTENDERS.join(', ')})`);
  return adapter;
}
