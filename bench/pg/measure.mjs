// One measurement: a fresh schema, the jobs enqueued, the worker processes
// started and told to go at once, the metric, and the checks that every job
// was called exactly once and the store agrees. Also the chain's floor.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { now } from '../pg-task.mjs';
import { adapterOf } from './adapters.mjs';
import { BATON, BATON_DEFAULT, CHAIN, CHILD, DEBUG, MEASURE_TIMEOUT_MS, READY_TIMEOUT_MS, REDIS, ROOT, SHAPE, WIDTH, debug, keysOf, percentile, qi, sleep } from './common.mjs';

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
export function startChild(cfg, index) {
  const child = spawn(process.execPath, [...cfg.nodeFlags, CHILD, JSON.stringify(cfg)], {
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


function metricOf(scenario, t0, t1, records, total, warm) {
  const at = new Map();
  for (const r of records) r.keys.forEach((k, i) => at.set(k, r.times[i]));
  if (scenario === 'throughput') return { ms: t1 - t0, rate: (total * 1000) / (t1 - t0) };
  if (scenario === 'chain') {
    const hops = [];
    for (let i = warm + 1; i < warm + CHAIN; i++) hops.push(at.get(`c/s${i}`) - at.get(`c/s${i - 1}`));
    const sorted = [...hops].sort((a, b) => a - b);
    if (DEBUG) {
      const slowest = hops.map((ms, i) => [ms, i + 1]).sort((a, b) => b[0] - a[0]).slice(0, 8);
      debug(`slowest hops (ms @ hop): ${slowest.map(([ms, i]) => `${ms.toFixed(2)} @ ${i}`).join(', ')}`);
    }
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: hops.reduce((a, b) => a + b, 0) / hops.length, ms: at.get(`c/s${warm + CHAIN - 1}`) - at.get(`c/s${warm}`) };
  }
  return { ms: at.get('f/join') - at.get('f/first') };
}

/**
 * The least a durable hop can cost on this server: one prepared statement
 * that updates one row, and its commit, CHAIN times in a row from one
 * connection (no queue, no history). A chain's hop is this plus what the
 * contender does in it; the chain targets are read against it.
 */
export async function measureFloor(dbUrl) {
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

/**
 * One scenario for one contender with `workers` processes: its metric; throws
 * if a check fails. By hand (`run`) also: warm, chain hops before the measured
 * ones; nodeFlags, node's flags for the worker processes; functionSql, SQL
 * run in baton's schema after its migrations (a variant of its functions).
 */
export async function measure(contender, scenario, workers, { dbUrl, batonOptions = contender === 'baton (default)' ? BATON_DEFAULT : BATON, shape = SHAPE, warm = 0, nodeFlags = [], functionSql }) {
  const schema = `bench_${scenario}_${seq++}`;
  const keys = keysOf(scenario, shape, warm);
  const m = {
    contender,
    scenario,
    url: dbUrl,
    schema,
    workerUrl: `${dbUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    prefix: `baton-bench-${process.pid}-${schema}`,
    redis: REDIS,
    chain: warm + CHAIN,
    nodeFlags,
    width: WIDTH,
    total: keys.length,
    shape,
    baton: batonOptions,
    functionSql,
  };
  const adapter = await adapterOf(contender);
  const children = [];
  let s;
  try {
    debug(`${contender} ${scenario}: prepare`);
    s = await adapter.prepare({ ...m, keys });
    await analyze(dbUrl, schema);
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
    const metric = metricOf(scenario, t0, t1, records, m.total, warm);
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

/** `fn` with a connection of its own to `dbUrl`, closed after. */
async function withClient(dbUrl, fn) {
  const c = new pg.Client({ connectionString: dbUrl });
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Statistics for the tables the contender just filled, as a database in use
 * has them: without any, a planner may choose a plan that reads a whole queue
 * per fetch (graphile-worker's did, at 200,000 jobs: 3x slower).
 */
function analyze(dbUrl, schema) {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema]);
    if (rows.length > 0) await c.query(`ANALYZE ${rows.map((r) => `${qi(schema)}.${qi(r.tablename)}`).join(', ')}`);
  });
}

function dropSchema(dbUrl, schema) {
  return withClient(dbUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${qi(schema)} CASCADE`)).catch((error) => {
    process.stderr.write(`bench pg: dropping schema ${schema}: ${error.message}\n`);
  });
}
