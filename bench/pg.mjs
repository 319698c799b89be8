// baton benchmarks, section "pg": baton's workers on PostgreSQL against job
// queues that do the same work: graphile-worker and pg-boss on the same
// PostgreSQL server (stock settings), BullMQ on Redis. Imported by
// bench/run.mjs (`node bench/run.mjs --only pg`); the peers are installed by
// the bench itself into bench/peers/node_modules (bench/peers/package.json
// pins them; never baton's dependencies).
//
// Every measurement: a fresh schema in a database made for this bench
// (baton_bench_pg_PID, dropped at the end; a BullMQ measurement uses a fresh
// Redis key prefix, its keys deleted after), the scenario's jobs enqueued
// before any worker starts, then N worker processes started (bench/pg.mjs,
// mode `worker`), each connecting and getting ready, and only then all told
// to go at once: start-up is not timed. Jobs are no-ops that record a key and
// the time they were called (bench/pg-task.mjs).
//
//   baton      the Worker class from dist/ set up as `baton worker` does
//              (openStore + buildEngine of dist/cli/home.js, lease 30 s,
//              heartbeat 10 s, sweep 5 s, concurrency 24, claim-ahead at its
//              default, the store's pool of 10); steps are `function: bench/pg-task.mjs#noop` tasks of file
//              runs submitted with PgStore.createRun (as `baton run --db
//              --detach` does). Counting: 1 step = 1 job.
//   baton (default)  the same with `baton worker`'s defaults (WORKER_DEFAULTS
//              of dist/engine/worker.js: concurrency 8, claim-ahead 500):
//              the "no tuning" side of the 10x target.
//   graphile-worker (tuned)    concurrency 24, localQueue.size 500 (the
//              issue's "tuned": batched fetches), otherwise defaults
//              (maxPoolSize 10).
//   graphile-worker (batched)  its performance page's settings: the tuned ones
//              plus completeJobBatchDelay 0 and failJobBatchDelay 0 (batched
//              completions), maxPoolSize kept at 10.
//   graphile-worker (default)  no options: concurrency 1, no local queue.
//   pg-boss    polls: 4 work() loops per process, batchSize 500, polling
//              0.5 s (the least it allows); supervise and schedule off. A
//              handler that enqueues follow-up work (chain, fan-out) wakes
//              its process's loops with notifyWorker().
//   BullMQ     Worker concurrency 24, on Redis.
//
// Scenarios:
//   throughput  20,000 no-op jobs with 1, 2 and 4 worker processes. baton: 20
//               runs of 1,000 independent steps; peers: 20,000 jobs enqueued in
//               bulk. jobs/s = 20,000 / (time from "go" until the store says
//               all are done: every run settled / no job left / all jobs
//               completed), polled every 5 ms once the workers' counts (sent
//               every 20 ms) add up. Also CPU per job over the same span: the
//               worker processes' own (process.cpuUsage, every thread: JIT
//               compiles and GC too) and the rest of the machine's (/proc/stat:
//               the database or Redis, the bench itself).
//   chain       500 sequential no-op steps, 1 worker process. baton: one run,
//               each task depending on the previous; peers: each job enqueues
//               the next as its last act. Hop = time between the calls of
//               consecutive jobs (499 hops); p50 and p99 (nearest rank).
//               Beside them, each round, the floor: 500 commits of a
//               one-row UPDATE in a row from the bench (measureFloor), what
//               any durable hop costs before it does its own work.
//   fanout      1 -> 1,000 parallel no-op jobs -> 1 join, 1 worker process.
//               baton: one run (first; 1,000 tasks depending on it; join
//               depending on all of them); peers: see bench/peers/peers.mjs
//               (a counter row; BullMQ a FlowProducer flow). Time = from the
//               call of `first` to the call of the join.
// Rounds are interleaved (round 1: every case and contender, the order of the
// contenders rotated each round; round 2: ...) and each cell is the median of
// the rounds.
//
// Checks, outside the timing, in every measurement: every expected job was
// called exactly once (the keys the workers recorded), and the store agrees:
// baton, all runs succeeded and every step succeeded at attempt 1 with one
// attempt row; graphile-worker, no job left; pg-boss, every job completed
// and none retried; BullMQ, every job completed and nothing failed or open.
// A failed check or a measurement that does not finish within 300 s fails the
// bench (non-zero exit); its cell shows FAIL. Targets only print PASS/FAIL.
//
// Connections: up to about 50 at once (4 worker processes, each a pool of 10
// and a listener, for baton and graphile-worker), next to whatever else uses
// the server: with the test suite running on a stock server (100) either may
// run out.
//
// Wall time: a full run (3 rounds) is about 5 minutes, most of it
// graphile-worker at its defaults (concurrency 1). --quick: 1 round.
//
// One measurement by hand (prints one JSON line):
//   node bench/pg.mjs run throughput|chain|fanout CONTENDER [--workers N] [--concurrency N] [--claim-ahead N] (baton's)
//        [--shape RUNSxSTEPS (throughput; default 20x1000)]
//        [--profile DIR (a CPU profile of every worker process from "go" to "stop", into DIR)]
//        [--sql (count the statements the worker processes send, by text, per job)]
// CONTENDER: baton, baton (default), graphile-worker (tuned), graphile-worker (batched), graphile-worker (default), pg-boss, BullMQ.
// Summarize a profile with node bench/cpuprofile-top.mjs DIR/FILE.cpuprofile.
//
// Where: BATON_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test, a
// database to connect to first; the bench makes its own next to it) and
// BATON_BENCH_REDIS (default redis://127.0.0.1:6379).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { now, recorded } from './pg-task.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const SELF = fileURLToPath(import.meta.url);
const DIST = join(ROOT, 'dist');
const PEERS = join(BENCH, 'peers');
const TASK = join(BENCH, 'pg-task.mjs');

const PG_URL = process.env.BATON_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = new URL(process.env.BATON_BENCH_REDIS ?? 'redis://127.0.0.1:6379');
const REDIS = { host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379) };

const SHAPE = { runs: 20, steps: 1000 }; // throughput: baton's runs x steps; peers get runs x steps jobs
const CHAIN = 500;
/** The chain's reference row: a hop that is one commit and nothing else (measureFloor). */
const FLOOR = 'floor';
const WIDTH = 1000;
const WORKERS = [1, 2, 4];
const BATON = { concurrency: 24, leaseMs: 30_000, heartbeatMs: 10_000, sweepMs: 5000 };
// 'baton (default)': what `baton worker --db URL` runs with, no option given (WORKER_DEFAULTS).
const BATON_DEFAULT = { defaults: true };
const CONTENDERS = ['baton', 'baton (default)', 'graphile-worker (tuned)', 'graphile-worker (batched)', 'graphile-worker (default)', 'pg-boss', 'BullMQ'];
const CASES = [...WORKERS.map((n) => ['throughput', n]), ['chain', 1], ['fanout', 1]];
const MEASURE_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 60_000;

const DEBUG = process.env.BATON_BENCH_DEBUG === '1';
const debug = (msg) => DEBUG && process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const qi = (name) => `"${name.replace(/"/g, '""')}"`;
const withDatabase = (url, db) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

// =============================================================== baton

function keysOf(scenario, shape = SHAPE) {
  if (scenario === 'throughput') {
    const keys = [];
    for (let r = 0; r < shape.runs; r++) for (let i = 0; i < shape.steps; i++) keys.push(`t${r}/s${i}`);
    return keys;
  }
  if (scenario === 'chain') return Array.from({ length: CHAIN }, (_, i) => `c/s${i}`);
  return ['f/first', ...Array.from({ length: WIDTH }, (_, i) => `f/s${i}`), 'f/join'];
}

const dist = (path) => import(pathToFileURL(join(DIST, path)).href);

const baton = {
  async prepare(m) {
    const [{ PgStore }, { loadWorkflowText }] = await Promise.all([dist('store/postgres/pg-store.js'), dist('spec/index.js')]);
    const store = new PgStore({ url: m.url, schema: m.schema, max: 2 });
    let runs;
    try {
      await store.migrate();
      const fn = `${TASK}#noop`;
      const task = (id, dependsOn = []) => (dependsOn.length > 0 ? { id, function: fn, dependsOn } : { id, function: fn });
      if (m.scenario === 'throughput') {
        const tasks = Array.from({ length: m.shape.steps }, (_, i) => task(`s${i}`));
        runs = Array.from({ length: m.shape.runs }, (_, r) => [`t${r}`, tasks]);
      } else if (m.scenario === 'chain') {
        runs = [['c', Array.from({ length: CHAIN }, (_, i) => task(`s${i}`, i > 0 ? [`s${i - 1}`] : []))]];
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
    const want = { runs: s.runCount, runs_ok: s.runCount, steps: m.total, steps_ok: m.total, attempts: m.total, attempts_ok: m.total };
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
const loadPeers = async () => (peerModule ??= await import(pathToFileURL(join(PEERS, 'peers.mjs')).href));
async function adapterOf(contender) {
  if (contender === 'baton' || contender === 'baton (default)') return baton;
  const adapter = (await loadPeers()).peers[contender];
  if (!adapter) throw new Error(`unknown contender "${contender}" (one of: ${CONTENDERS.join(', ')})`);
  return adapter;
}

// =============================================================== one measurement

const live = new Set(); // worker processes, each the leader of its own group
const killGroup = (pid) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
};
process.on('exit', () => {
  for (const pid of live) killGroup(pid);
});

/** A worker process: ready, count (the jobs it has called so far), stop() -> { keys, times }. */
function startChild(cfg, index) {
  const child = spawn(process.execPath, [SELF, 'worker', JSON.stringify(cfg)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
  });
  live.add(child.pid);
  const tag = `    [${cfg.contender} #${index + 1}] `;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderr = (stderr + s).slice(-4000);
    process.stderr.write(s.replace(/^(?=.)/gm, tag));
  });
  const w = { child, count: 0, onCount: () => undefined, exited: false };
  let readyResolve;
  let doneResolve;
  w.ready = new Promise((resolve) => (readyResolve = resolve));
  const done = new Promise((resolve) => (doneResolve = resolve));
  w.gone = new Promise((_, reject) => {
    child.on('exit', (code, signal) => {
      live.delete(child.pid);
      w.exited = true;
      const gone = () => reject(new Error(`worker process ${index + 1} of ${cfg.contender} exited (${code ?? signal})${stderr ? `:\n${stderr.slice(-1500)}` : ''}`));
      // A process that sent "done" and exited: the message may still be on its way (it is read before the channel closes).
      if (code === 0 && child.connected) child.once('disconnect', gone);
      else gone();
    });
  });
  w.gone.catch(() => undefined);
  child.on('message', (msg) => {
    if (msg.type === 'ready') readyResolve();
    else if (msg.type === 'count') {
      w.count = msg.n;
      w.onCount();
    } else if (msg.type === 'done') doneResolve(msg);
  });
  w.send = (msg) => {
    if (!w.exited) child.send(msg);
  };
  w.stop = async () => {
    w.send({ type: 'stop' });
    const result = await within(Promise.race([done, w.gone]), 30_000, `worker process ${index + 1} of ${cfg.contender} stopping`);
    await within(w.gone.catch(() => undefined), 5000, 'exit').catch(() => undefined);
    return result;
  };
  return w;
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

function exactlyOnce(expected, records) {
  const seen = new Map();
  for (const r of records) for (const k of r.keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  const want = new Set(expected);
  const missing = expected.filter((k) => !seen.has(k));
  const twice = [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
  const unknown = [...seen.keys()].filter((k) => !want.has(k));
  const problems = [];
  if (missing.length) problems.push(`${missing.length} jobs never called (first: ${missing.slice(0, 3).join(', ')})`);
  if (twice.length) problems.push(`${twice.length} jobs called more than once (first: ${twice.slice(0, 3).join(', ')})`);
  if (unknown.length) problems.push(`${unknown.length} unexpected jobs called (first: ${unknown.slice(0, 3).join(', ')})`);
  return problems;
}

/** CPU time the whole machine spent busy so far, in ms (/proc/stat: every CPU's time outside idle and iowait). */
function busyMs() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (total - idle) * 10; // USER_HZ: 100 ticks a second on Linux
}

/** Nearest rank. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

function metricOf(scenario, t0, t1, records, total) {
  const at = new Map();
  for (const r of records) r.keys.forEach((k, i) => at.set(k, r.times[i]));
  if (scenario === 'throughput') return { ms: t1 - t0, rate: (total * 1000) / (t1 - t0) };
  if (scenario === 'chain') {
    const hops = [];
    for (let i = 1; i < CHAIN; i++) hops.push(at.get(`c/s${i}`) - at.get(`c/s${i - 1}`));
    const sorted = [...hops].sort((a, b) => a - b);
    if (DEBUG) {
      const slowest = hops.map((ms, i) => [ms, i + 1]).sort((a, b) => b[0] - a[0]).slice(0, 8);
      debug(`slowest hops (ms @ hop): ${slowest.map(([ms, i]) => `${ms.toFixed(2)} @ ${i}`).join(', ')}`);
    }
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: hops.reduce((a, b) => a + b, 0) / hops.length, ms: at.get(`c/s${CHAIN - 1}`) - at.get('c/s0') };
  }
  return { ms: at.get('f/join') - at.get('f/first') };
}

/**
 * The least a durable hop can cost on this server: one prepared statement
 * that updates one row, and its commit, CHAIN times in a row from one
 * connection (no queue, no history). A chain's hop is this plus what the
 * contender does in it; the chain targets are read against it.
 */
async function measureFloor(dbUrl) {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_floor (id int PRIMARY KEY, n bigint NOT NULL)');
    await c.query('INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    const step = { name: 'bench_floor_hop', text: 'UPDATE bench_floor SET n = n + 1 WHERE id = 1' };
    const times = [];
    for (let i = 0; i < CHAIN; i++) {
      await c.query(step);
      times.push(performance.now());
    }
    const hops = times.slice(1).map((t, i) => t - times[i]);
    const sorted = [...hops].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: hops.reduce((a, b) => a + b, 0) / hops.length, ms: times[CHAIN - 1] - times[0] };
  } finally {
    await c.query('DROP TABLE IF EXISTS bench_floor').catch(() => undefined);
    await c.end();
  }
}

let seq = 0;

/** One scenario for one contender with `workers` processes: its metric; throws if a check fails. */
async function measure(contender, scenario, workers, { dbUrl, batonOptions = contender === 'baton (default)' ? BATON_DEFAULT : BATON, shape = SHAPE }) {
  const schema = `bench_${scenario}_${seq++}`;
  const keys = keysOf(scenario, shape);
  const m = {
    contender,
    scenario,
    url: dbUrl,
    schema,
    workerUrl: `${dbUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    prefix: `baton-bench-${process.pid}-${schema}`,
    redis: REDIS,
    chain: CHAIN,
    width: WIDTH,
    total: keys.length,
    shape,
    baton: batonOptions,
  };
  const adapter = await adapterOf(contender);
  const children = [];
  let s;
  try {
    debug(`${contender} ${scenario}: prepare`);
    s = await adapter.prepare({ ...m, keys });
    debug(`${contender} ${scenario}: start ${workers} workers`);
    const cfg = m;
    for (let i = 0; i < workers; i++) children.push(startChild(cfg, i));
    const anyGone = Promise.race(children.map((c) => c.gone));
    await within(Promise.race([Promise.all(children.map((c) => c.ready)), anyGone]), READY_TIMEOUT_MS, `${contender}: worker processes ready`);
    const deadline = Date.now() + MEASURE_TIMEOUT_MS;
    debug(`${contender} ${scenario}: go`);
    const busy0 = busyMs();
    const t0 = now();
    for (const c of children) c.send({ type: 'go' });
    // Until the workers have called every job (their counts) ...
    await within(
      Promise.race([
        anyGone,
        new Promise((resolve) => {
          const check = () => {
            if (children.reduce((a, c) => a + c.count, 0) >= m.total) resolve();
          };
          for (const c of children) c.onCount = check;
        }),
      ]),
      MEASURE_TIMEOUT_MS,
      `${contender} ${scenario}: ${m.total} jobs called`,
    );
    debug(`${contender} ${scenario}: all called`);
    // ... then until the store says they are done.
    while (!(await adapter.finished(s, m))) {
      if (Date.now() > deadline) throw new Error(`${contender} ${scenario}: the store does not say all ${m.total} jobs are done after ${MEASURE_TIMEOUT_MS / 1000} s`);
      await sleep(5);
    }
    const t1 = now();
    const machineMs = busyMs() - busy0;
    debug(`${contender} ${scenario}: done; stopping`);
    const records = await Promise.all(children.map((c) => c.stop()));
    debug(`${contender} ${scenario}: stopped; verifying`);
    const problems = [...exactlyOnce(keys, records), ...(await adapter.verify(s, m))];
    if (problems.length > 0) throw new Error(`${contender} ${scenario} (${workers} worker${workers > 1 ? 's' : ''}) FAILED its checks: ${problems.join('; ')}`);
    const metric = metricOf(scenario, t0, t1, records, m.total);
    // CPU per job, from "go" until the store said done: the worker processes' own (every thread), and the machine's.
    const workerMs = records.reduce((a, r) => a + (r.cpuMs ?? 0), 0);
    metric.workerUs = (workerMs * 1000) / m.total;
    metric.otherUs = ((machineMs - workerMs) * 1000) / m.total;
    if (records.some((r) => r.sql)) {
      const sql = new Map();
      for (const r of records) for (const [label, n] of r.sql ?? []) sql.set(label, (sql.get(label) ?? 0) + n);
      metric.sql = [...sql].sort((a, b) => b[1] - a[1]);
    }
    return metric;
  } finally {
    for (const c of children) killGroup(c.child.pid);
    await adapter.cleanup(s ?? {}, m).catch((error) => process.stderr.write(`bench pg: cleanup of ${schema}: ${error.message}\n`));
    await dropSchema(dbUrl, schema);
    debug(`${contender} ${scenario}: cleaned up`);
  }
}

async function dropSchema(dbUrl, schema) {
  const c = new pg.Client({ connectionString: dbUrl });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${qi(schema)} CASCADE`);
  } catch (error) {
    process.stderr.write(`bench pg: dropping schema ${schema}: ${error.message}\n`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

// =============================================================== set-up

/** Installs bench/peers/node_modules when a pinned peer is missing or of another version. */
function ensurePeers(log) {
  const want = JSON.parse(readFileSync(join(PEERS, 'package.json'), 'utf8')).dependencies;
  const stale = Object.entries(want).filter(([name, version]) => {
    const file = join(PEERS, 'node_modules', name, 'package.json');
    return !existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).version !== version;
  });
  if (stale.length === 0) return want;
  log(`  installing the peers into bench/peers (${stale.map(([n, v]) => `${n}@${v}`).join(', ')})`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', PEERS, '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`npm install --prefix bench/peers failed (${r.status ?? r.signal}):\n${(r.stderr || r.stdout || '').slice(-2000)}`);
  return want;
}

/** A database for this bench, next to PG_URL's; leftovers of benches that died are dropped first. */
async function createDatabase() {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'baton_bench_pg_%'`);
    for (const { datname } of rows) {
      const pid = Number(datname.slice('baton_bench_pg_'.length));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        // not running
      }
      if (!alive) await admin.query(`DROP DATABASE IF EXISTS ${qi(datname)} WITH (FORCE)`);
    }
    const name = `baton_bench_pg_${process.pid}`;
    await admin.query(`CREATE DATABASE ${qi(name)}`);
    const [{ server_version: version }] = (await admin.query('SHOW server_version')).rows;
    return {
      url: withDatabase(PG_URL, name),
      version,
      async drop() {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${qi(name)} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  } finally {
    await admin.end();
  }
}

async function redisVersion() {
  const { default: IORedis } = await import(pathToFileURL(join(PEERS, 'node_modules/ioredis/built/index.js')).href);
  const redis = new IORedis({ ...REDIS, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  } finally {
    redis.disconnect();
  }
}

// =============================================================== the section

/** Which baton: the commit, whether the work tree differs from it, and when dist/ was built. */
function batonVersion() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const rev = git('rev-parse', '--short', 'HEAD') || '?';
  const dirty = git('status', '--porcelain', '--', 'src').length > 0;
  const built = statSync(join(DIST, 'engine/worker.js')).mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `baton ${rev}${dirty ? ' (src/ has uncommitted changes)' : ''}, dist/ built ${built} UTC`;
}

const fmtRate = (v) => `${Math.round(v).toLocaleString('en')}/s`;
const fmtMs = (v) => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}`);

/**
 * bench/run.mjs calls this: { rounds, quick, log, table, median, failures,
 * required }. Without PostgreSQL or Redis the section is skipped, unless
 * `required` (then it fails).
 */
export async function benchPg({ rounds, log, table, median, failures, required = true }) {
  if (!existsSync(join(DIST, 'engine/worker.js'))) throw new Error('dist/ is missing: run "npm run build" first');
  const versions = ensurePeers(log);
  const batonAtStart = batonVersion();
  let db;
  let redis;
  try {
    db = await createDatabase();
    redis = await redisVersion();
  } catch (error) {
    await db?.drop().catch(() => undefined);
    const why = `PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, '//…@')} or Redis at ${REDIS_URL} is not reachable (${error.message})`;
    if (required) throw new Error(why);
    log(`  pg: skipped: ${why}`);
    return [`### PostgreSQL workers: skipped (${why}; set BATON_BENCH_PG / BATON_BENCH_REDIS)`];
  }
  try {
    const results = new Map(); // `${contender}|${scenario}|${workers}` -> metric[]
    const failed = new Set();
    for (let round = 0; round < rounds; round++) {
      for (const [scenario, workers] of CASES) {
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
        for (const contender of order) {
          const key = `${contender}|${scenario}|${workers}`;
          if (failed.has(key)) continue;
          const started = Date.now();
          try {
            const metric = await measure(contender, scenario, workers, { dbUrl: db.url });
            results.set(key, [...(results.get(key) ?? []), metric]);
            const shown = scenario === 'throughput' ? fmtRate(metric.rate) : scenario === 'chain' ? `p50 ${fmtMs(metric.p50)}  p99 ${fmtMs(metric.p99)}` : fmtMs(metric.ms);
            log(`  round ${round + 1}/${rounds}  ${scenario.padEnd(10)} ${String(workers)}w  ${contender.padEnd(26)} ${shown.padEnd(28)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          } catch (error) {
            failed.add(key);
            failures.push(`pg: ${contender}, ${scenario}, ${workers} worker(s): ${error.message.split('\n')[0]}`);
            log(`  round ${round + 1}/${rounds}  ${scenario.padEnd(10)} ${String(workers)}w  ${contender.padEnd(26)} FAILED: ${error.message}`);
          }
        }
        if (scenario === 'chain') {
          const metric = await measureFloor(db.url);
          results.set(`${FLOOR}|chain|1`, [...(results.get(`${FLOOR}|chain|1`) ?? []), metric]);
          log(`  round ${round + 1}/${rounds}  chain      1w  ${FLOOR.padEnd(26)} p50 ${fmtMs(metric.p50)}  p99 ${fmtMs(metric.p99)}`);
        }
      }
    }
    const med = (contender, scenario, workers, field) => {
      if (failed.has(`${contender}|${scenario}|${workers}`)) return undefined;
      const xs = results.get(`${contender}|${scenario}|${workers}`);
      return xs ? median(xs.map((x) => x[field])) : undefined;
    };
    const cell = (v, f) => (v === undefined ? 'FAIL' : f(v));

    // Throughput
    const tRows = CONTENDERS.map((c) => [
      c,
      ...WORKERS.map((n) => cell(med(c, 'throughput', n, 'rate'), fmtRate)),
      ...WORKERS.map((n) => (c.startsWith('baton') ? '-' : ratio(med('baton', 'throughput', n, 'rate'), med(c, 'throughput', n, 'rate')))),
    ]);
    // CPU per job in the throughput runs: the worker processes' own, and the rest of the machine's (the database or Redis, the bench).
    const us = (v) => `${Math.round(v)}`;
    const uRows = CONTENDERS.map((c) => [
      c,
      ...WORKERS.map((n) => {
        const w = med(c, 'throughput', n, 'workerUs');
        const o = med(c, 'throughput', n, 'otherUs');
        return w === undefined || o === undefined ? 'FAIL' : `${us(w)} + ${us(o)}`;
      }),
    ]);
    // Chain
    const cRows = [...CONTENDERS, FLOOR].map((c) => [
      c === FLOOR ? `${FLOOR}: one single-row UPDATE and its commit` : c,
      cell(med(c, 'chain', 1, 'p50'), fmtMs),
      cell(med(c, 'chain', 1, 'p99'), fmtMs),
      cell(med(c, 'chain', 1, 'mean'), fmtMs),
      cell(med(c, 'chain', 1, 'ms'), (v) => `${(v / 1000).toFixed(2)} s`),
      c.startsWith('baton') ? '-' : ratio(med('baton', 'chain', 1, 'p50'), med(c, 'chain', 1, 'p50')),
      c.startsWith('baton') ? '-' : ratio(med('baton', 'chain', 1, 'p99'), med(c, 'chain', 1, 'p99')),
    ]);
    // Fan-out
    const fRows = CONTENDERS.map((c) => {
      const xs = failed.has(`${c}|fanout|1`) ? undefined : results.get(`${c}|fanout|1`)?.map((x) => x.ms);
      return [
        c,
        cell(med(c, 'fanout', 1, 'ms'), fmtMs),
        xs ? fmtMs(Math.min(...xs)) : '-',
        xs ? fmtMs(Math.max(...xs)) : '-',
        c.startsWith('baton') ? '-' : ratio(med('baton', 'fanout', 1, 'ms'), med(c, 'fanout', 1, 'ms')),
      ];
    });

    // Targets: against graphile-worker; for chain and fan-out, its best configuration.
    const GT = 'graphile-worker (tuned)';
    const GB = 'graphile-worker (batched)';
    const GD = 'graphile-worker (default)';
    const best = (scenario, field) => {
      const xs = [GT, GB, GD].map((c) => [med(c, scenario, 1, field), c.slice('graphile-worker ('.length, -1)]);
      if (xs.some(([x]) => x === undefined)) return [undefined, '-'];
      return xs.reduce((a, b) => (b[0] < a[0] ? b : a));
    };
    const verdict = (ok) => (ok === undefined ? 'FAIL' : ok ? 'PASS' : 'FAIL');
    const targets = [];
    for (const n of WORKERS) {
      const b = med('baton', 'throughput', n, 'rate');
      const bd = med('baton (default)', 'throughput', n, 'rate');
      const t = med(GT, 'throughput', n, 'rate');
      const tb = med(GB, 'throughput', n, 'rate');
      const d = med(GD, 'throughput', n, 'rate');
      const workers = `${n} worker${n > 1 ? 's' : ''}`;
      targets.push([`throughput, ${workers}: baton >= graphile-worker tuned`, cell(b, fmtRate), cell(t, fmtRate), ratio(b, t), verdict(b === undefined || t === undefined ? undefined : b >= t)]);
      targets.push([`throughput, ${workers}: baton >= graphile-worker batched`, cell(b, fmtRate), cell(tb, fmtRate), ratio(b, tb), verdict(b === undefined || tb === undefined ? undefined : b >= tb)]);
      targets.push([`throughput, ${workers}: baton (default) >= 10 x graphile-worker default`, cell(bd, fmtRate), cell(d, fmtRate), ratio(bd, d), verdict(bd === undefined || d === undefined ? undefined : bd >= 10 * d)]);
    }
    for (const [field, limit, label] of [
      ['p50', 1 / 3, 'chain p50: baton <= 1/3 of graphile-worker'],
      ['p99', 1 / 2, 'chain p99: baton <= 1/2 of graphile-worker'],
    ]) {
      const b = med('baton', 'chain', 1, field);
      const [g, which] = best('chain', field);
      const f = med(FLOOR, 'chain', 1, field);
      const room = g === undefined || f === undefined ? '' : `; the floor is ${fmtMs(f)}, so a hop may spend ${fmtMs(g * limit - f)} above it`;
      targets.push([`${label} (${which})${room}`, cell(b, fmtMs), cell(g, fmtMs), ratio(b, g), verdict(b === undefined || g === undefined ? undefined : b <= g * limit)]);
    }
    {
      const b = med('baton', 'fanout', 1, 'ms');
      const [g, which] = best('fanout', 'ms');
      targets.push([`fan-out: baton <= 1/2 of graphile-worker (${which})`, cell(b, fmtMs), cell(g, fmtMs), ratio(b, g), verdict(b === undefined || g === undefined ? undefined : b <= g / 2)]);
    }

    const v = (name) => `${name} ${versions[name]}`;
    const { GRAPHILE_TUNED, GRAPHILE_BATCHED, PGBOSS, BULLMQ } = await loadPeers();
    const batonAtEnd = batonVersion();
    if (batonAtEnd !== batonAtStart) log(`  bench pg: WARNING: baton changed during the run: ${batonAtStart} -> ${batonAtEnd}`);
    const setup = [
      ...(batonAtEnd !== batonAtStart ? [`**baton changed during the run** (rounds mix two builds): at the start ${batonAtStart}; at the end ${batonAtEnd}.`] : []),
      `${batonAtStart}, PostgreSQL ${db.version} (stock settings), Redis ${redis}; ${v('graphile-worker')}, ${v('pg-boss')}, ${v('bullmq')} (ioredis ${versions.ioredis}).`,
      `baton: the Worker of dist/ as \`baton worker\` sets it up, concurrency ${BATON.concurrency} (claim-ahead at its default), lease ${BATON.leaseMs / 1000} s; baton (default): \`baton worker\` with no options;`,
      `graphile-worker tuned: concurrency ${GRAPHILE_TUNED.concurrency}, localQueue.size ${GRAPHILE_TUNED.preset.worker.localQueue.size}; batched: the same and completeJobBatchDelay ${GRAPHILE_BATCHED.preset.worker.completeJobBatchDelay}, failJobBatchDelay ${GRAPHILE_BATCHED.preset.worker.failJobBatchDelay} (its performance page's settings); default: no options (concurrency 1);`,
      `pg-boss: ${PGBOSS.loops} work() loops x batchSize ${PGBOSS.batchSize} per process, polling ${PGBOSS.pollingIntervalSeconds} s; BullMQ: concurrency ${BULLMQ.concurrency}.`,
      `Start-up is not timed (workers connect, then all start at once); every job's call is checked to happen exactly once. See bench/pg.mjs.`,
    ].join('\n');
    const of = `median of ${rounds} interleaved round${rounds > 1 ? 's' : ''}`;
    return [
      `### PostgreSQL workers: baton against job queues, ${of}\n\n${setup}`,
      `#### Throughput: ${(SHAPE.runs * SHAPE.steps).toLocaleString('en')} no-op jobs (baton: ${SHAPE.runs} runs x ${SHAPE.steps.toLocaleString('en')} independent steps), jobs/s by worker processes (baton ÷ peer: higher is better for baton)\n\n` +
        table(['contender', ...WORKERS.map((n) => `>${n} worker${n > 1 ? 's' : ''}`), ...WORKERS.map((n) => `>baton ÷ peer (${n})`)], tRows),
      `#### CPU per job in those runs, µs: the worker processes (every thread) + the rest of the machine (PostgreSQL or Redis, the bench's polling), from "go" until done\n\n` +
        table(['contender', ...WORKERS.map((n) => `>${n} worker${n > 1 ? 's' : ''}`)], uRows),
      `#### Chain: ${CHAIN} sequential no-op jobs, 1 worker process; hop = call to call (baton ÷ peer: lower is better for baton)\n\n` +
        table(['contender', '>p50 hop', '>p99 hop', '>mean hop', '>whole chain', '>baton ÷ peer p50', '>baton ÷ peer p99'], cRows),
      `#### Fan-out: 1 -> ${WIDTH.toLocaleString('en')} -> 1 join, 1 worker process; time from the first job's call to the join's\n\n` +
        table(['contender', '>median', '>min', '>max', '>baton ÷ peer'], fRows),
      `#### Targets (against graphile-worker; chain and fan-out: its best configuration)\n\n` + table(['target', '>baton', '>graphile-worker', '>baton ÷ gw', 'verdict'], targets),
    ];
  } finally {
    await db.drop().catch((error) => log(`  bench pg: dropping the bench database: ${error.message}`));
  }
}

// =============================================================== child modes

/** A worker process: set up, "ready"; on "go" start, reporting the count every 20 ms; on "stop", stop and send what it called. */
async function workerMain(cfgText) {
  const cfg = JSON.parse(cfgText);
  // --sql (run mode): every statement this process sends through node-postgres, counted by its text.
  const sql = process.env.BATON_BENCH_SQL === '1' ? new Map() : undefined;
  if (sql) {
    // baton's node-postgres (the repository's) and the peers' (bench/peers/node_modules).
    const peersPg = cfg.contender === 'baton' ? undefined : (await import(pathToFileURL(join(PEERS, 'node_modules/pg/lib/index.js')).href)).default;
    for (const Client of new Set([pg.Client, peersPg?.Client].filter(Boolean))) {
      const query = Client.prototype.query;
      Client.prototype.query = function (text, ...rest) {
        const t = typeof text === 'string' ? text : (text?.text ?? text?.name ?? String(text));
        const label = t.replace(/\s+/g, ' ').trim().slice(0, 90);
        sql.set(label, (sql.get(label) ?? 0) + 1);
        return query.call(this, text, ...rest);
      };
    }
  }
  const profiler = process.env.BATON_BENCH_PROFILE ? await cpuProfiler() : undefined;
  const adapter = await adapterOf(cfg.contender);
  const w = await adapter.startWorker(cfg);
  const state = recorded();
  let reported = 0;
  let ticker;
  let cpuAtGo;
  let cpuMs;
  process.on('disconnect', () => process.exit(1));
  process.on('message', async (msg) => {
    try {
      if (msg.type === 'go') {
        sql?.clear();
        await profiler?.start();
        cpuAtGo = process.cpuUsage();
        ticker = setInterval(() => {
          if (state.keys.length !== reported) {
            reported = state.keys.length;
            process.send({ type: 'count', n: reported });
          }
        }, 20);
        await w.go();
      } else if (msg.type === 'stop') {
        clearInterval(ticker);
        const used = process.cpuUsage(cpuAtGo);
        cpuMs = (used.user + used.system) / 1000;
        await profiler?.stop(join(process.env.BATON_BENCH_PROFILE, `${cfg.contender.replace(/\W+/g, '-')}-${cfg.scenario}-${process.pid}.cpuprofile`));
        await w.stop();
        process.send({ type: 'done', keys: state.keys, times: state.times, cpuMs, sql: sql ? [...sql] : undefined }, () => process.exit(0));
      }
    } catch (error) {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    }
  });
  process.send({ type: 'ready' });
}

/** --profile: a V8 CPU profile of this process from "go" to "stop" (node:inspector), not of its start-up. */
async function cpuProfiler() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  return {
    start: () => post('Profiler.start'),
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function runOne(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      'claim-ahead': { type: 'string' },
      shape: { type: 'string' },
      profile: { type: 'string' },
      sql: { type: 'boolean', default: false },
    },
  });
  const [, scenario, contender] = positionals;
  if (!['throughput', 'chain', 'fanout'].includes(scenario) || !CONTENDERS.includes(contender)) {
    process.stderr.write(`usage: node bench/pg.mjs run throughput|chain|fanout CONTENDER [--workers N] [--concurrency N] [--claim-ahead N] [--shape RxS] [--profile DIR] [--sql]\n  CONTENDER: ${CONTENDERS.join(', ')}\n`);
    process.exit(2);
  }
  const log = (m) => process.stderr.write(`${m}\n`);
  ensurePeers(log);
  const db = await createDatabase();
  try {
    if (values.profile) {
      mkdirSync(values.profile, { recursive: true });
      process.env.BATON_BENCH_PROFILE = values.profile;
    }
    const batonOptions = {
      ...BATON,
      ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
      ...(values['claim-ahead'] ? { claimAhead: Number(values['claim-ahead']) } : {}),
    };
    const workers = Number(values.workers ?? 1);
    const [runs, steps] = (values.shape ?? `${SHAPE.runs}x${SHAPE.steps}`).split('x').map(Number);
    if (!(runs >= 1 && steps >= 1)) throw new Error(`--shape must be RUNSxSTEPS (got ${values.shape})`);
    const shape = { runs, steps };
    if (values.sql) process.env.BATON_BENCH_SQL = '1';
    const metric = await measure(contender, scenario, workers, { dbUrl: db.url, batonOptions, shape });
    const { sql } = metric;
    delete metric.sql;
    if (sql) {
      const jobs = keysOf(scenario, shape).length;
      const total = sql.reduce((a, [, n]) => a + n, 0);
      process.stderr.write(`statements sent by the worker process(es) after "go": ${total} (${(total / jobs).toFixed(2)} per job)\n`);
      for (const [label, n] of sql) process.stderr.write(`${String(n).padStart(8)} ${(n / jobs).toFixed(3).padStart(7)}/job  ${label}\n`);
    }
    process.stdout.write(JSON.stringify({ scenario, contender, workers, ...(scenario === 'throughput' ? { shape: `${runs}x${steps}` } : {}), ...(contender === 'baton' ? { concurrency: batonOptions.concurrency, claimAhead: batonOptions.claimAhead ?? 'default' } : {}), ...metric }) + '\n');
  } finally {
    await db.drop();
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const mode = process.argv[2];
  const main = mode === 'worker' ? () => workerMain(process.argv[3]) : mode === 'run' ? () => runOne(process.argv.slice(2)) : undefined;
  if (!main) {
    process.stderr.write('bench/pg.mjs: run it through bench/run.mjs (--only pg), or: node bench/pg.mjs run SCENARIO CONTENDER [--workers N]\n');
    process.exit(2);
  }
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
