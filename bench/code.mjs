// baton benchmarks, section "code": durable TypeScript (code) workflows on the
// embedded SQLite store, through the library API in dist/, each with
// durability `full` (the WAL fdatasync'ed before a step is acknowledged) and
// `normal` (no fsync), against a raw better-sqlite3 script doing the same SQL
// writes. Imported by bench/run.mjs (`node bench/run.mjs --only code`); every
// measurement is a fresh child process (this file, `run` mode) on a fresh
// database file in bench/.work/code/ (the repository's disk, not a tmpfs: the
// fsyncs of `full` are real), timed *inside* the child, so Node's
// start-up and the module loading are not counted (JIT warm-up is: there is no
// warm-up run).
//
// Scenarios (all steps are no-ops, `() => null`):
//   chain       one code workflow, 500 sequential `await ctx.step('s', () => null)`.
//               Per-step latency = the time between consecutive step
//               completions, measured inside the workflow function with
//               performance.now() after each `await` (the first is from just
//               before the first step). With nothing else in the loop this is
//               also the per-step wall time: begin + end journaled (one
//               transaction, group commit), fdatasync for `full`, the promise
//               back to the workflow. p50 and p99 over the 500 steps of a run.
//   throughput  20,000 steps: 1 run whose function does 20 sequential batches
//               of Promise.all over 1,000 steps (processing items in chunks;
//               with 1x40x500 the fastest of the shapes tried, runs x batches
//               x size: 1x10x2000, 1x100x200, 1x1x20000, 2x10x1000, 4x10x500,
//               10x20x100 and 20x1x1000 were 5-25% slower; --shape to try
//               others). steps/s = 20,000 / (time from engine.start() to the
//               run's result).
//   fanout      1 step -> Promise.all over 1,000 steps -> 1 join step; the time
//               from engine.start() to `result` resolving.
//
// Raw baseline (contender "raw"): better-sqlite3 directly, the schema made by
// running src/store/sqlite/migrations/*.sql in order, the PRAGMAs of
// sqlite-store.ts (WAL, synchronous=NORMAL, busy_timeout, foreign_keys=ON),
// and per step the very statements of src/store/sqlite/journal.ts for a step
// that begins and ends within one commit (record(): what every no-op step is):
//   SELECT owner; INSERT INTO events (its seq is the completion order);
//   INSERT INTO steps .. ON CONFLICT DO UPDATE (the final row); INSERT OR
//   REPLACE INTO attempts (the final attempt)
// and per run the createRun / setRunStatus writes of transitions.ts. No
// savepoints, no reads, no promises except the fsync. Transactions: chain, one
// BEGIN IMMEDIATE..COMMIT per step (begin + end), like baton's group commit
// does for a quick step; throughput and fanout, one per batch (the batch of
// 1,000 steps, the first step, the join step, create and finish), i.e. the
// commits baton's group commit makes. For `full`, each commit is followed by an
// fdatasync of the -wal file on the libuv pool (fs.fdatasync, as wal-sync.ts);
// for `normal`, none. The chain's raw loop awaits that fsync (a promise per
// step for `full`, none for `normal`).
//
// Each child also reports its CPU time (user + system, process.cpuUsage) over
// the timed part (for chain: engine.start() to the result; raw: create to
// finish), shown as "cpu" / "cpu/step": wall time grows with other load on the
// machine, CPU time much less, so it helps to read a noisy run.
//
// Checks, outside the timing, in every child: the run(s) succeeded (the
// result promise and the runs row), the workflow's result is right, and the
// store has exactly the expected number of succeeded steps
// (store.getSteps(runId), or SELECT count(*) for raw). A failed check fails the
// bench (non-zero exit). The targets below only print PASS/FAIL.
//
// Targets: full: chain p50 <= 0.95 ms, chain p99 <= 7 ms, throughput >=
// 35,000 steps/s, fanout <= 250 ms; normal: chain p50 <= 0.37 ms.
//
// One measurement by hand (prints one JSON line):
//   node bench/code.mjs run chain|throughput|fanout baton|raw full|normal [--steps N] [--shape RxBxS] [--db PATH] [--keep]
//        [--profile FILE.cpuprofile [--interval US]]
// --profile writes a V8 CPU profile of the timed part only (node:inspector,
// started just before the timing starts and stopped when it ends; for chain,
// from engine.start() to the result), sampling every --interval µs (default
// 50); `node --cpu-prof` profiles the whole process instead (module loading,
// migrations and the checks included). Summarize either with
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [N]
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const SELF = fileURLToPath(import.meta.url);
const MIGRATIONS = join(ROOT, 'src/store/sqlite/migrations');

const CHAIN_STEPS = 500;
const THROUGHPUT_SHAPE = '1x20x1000'; // runs x sequential batches x steps per Promise.all
const FANOUT_WIDTH = 1000;

const TARGETS = [
  // [label, scenario, durability, metric, op, limit, format]
  ['full: chain p50 <= 0.95 ms', 'chain', 'full', 'p50', '<=', 0.95, (v) => `${v.toFixed(3)} ms`],
  ['full: chain p99 <= 7 ms', 'chain', 'full', 'p99', '<=', 7, (v) => `${v.toFixed(3)} ms`],
  ['full: throughput >= 35,000 steps/s', 'throughput', 'full', 'stepsPerSec', '>=', 35_000, (v) => `${Math.round(v).toLocaleString('en')} steps/s`],
  ['full: fan-out <= 250 ms', 'fanout', 'full', 'ms', '<=', 250, (v) => `${v.toFixed(1)} ms`],
  ['normal: chain p50 <= 0.37 ms', 'chain', 'normal', 'p50', '<=', 0.37, (v) => `${v.toFixed(3)} ms`],
];

// =============================================================== parent side

const CONTENDERS = [
  ['baton', 'full'],
  ['raw', 'full'],
  ['baton', 'normal'],
  ['raw', 'normal'],
];
const SCENARIOS = ['chain', 'throughput', 'fanout'];
const CHILD_TIMEOUT_MS = 120_000;

/** Spawn one measurement; resolves with its JSON line, rejects unless it exits 0 with one. */
function measure(scenario, contender, durability, db) {
  return new Promise((resolve, reject) => {
    const args = [SELF, 'run', scenario, contender, durability, '--db', db];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const name = `code ${scenario} ${contender} (${durability})`;
      if (code === 0 && !timedOut) {
        try {
          return resolve(JSON.parse(out.trim().split('\n').pop()));
        } catch {
          return reject(new Error(`${name}: no result on stdout\n${out.slice(-1000)}\n${err.slice(-1000)}`));
        }
      }
      const why = timedOut ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s` : `exit ${code ?? signal}`;
      reject(new Error(`${name} FAILED (${why}): node ${args.join(' ')}\n${err.slice(-2000)}`));
    });
  });
}

const removeDb = (path) => {
  for (const s of ['', '-wal', '-shm', '-journal']) rmSync(path + s, { force: true });
};

/** The "code" section: returns its markdown blocks (like the other sections of run.mjs). */
export async function benchCode({ rounds, work, log, table, median }) {
  const dir = join(work, 'code');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const results = new Map(); // `${scenario}|${contender}|${durability}` -> result[]
  let seq = 0;
  for (let round = 0; round < rounds; round++) {
    for (const scenario of SCENARIOS) {
      // Rotate the starting contender each round so none always runs first.
      const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
      for (const [contender, durability] of order) {
        const db = join(dir, `${scenario}-${contender}-${durability}-${seq++}.db`);
        const r = await measure(scenario, contender, durability, db);
        removeDb(db);
        const key = `${scenario}|${contender}|${durability}`;
        results.set(key, [...(results.get(key) ?? []), r]);
        log(`  round ${round + 1}/${rounds}  ${scenario.padEnd(10)} ${`${contender} (${durability})`.padEnd(15)} ${describe(scenario, r)}`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const get = (scenario, contender, durability) => results.get(`${scenario}|${contender}|${durability}`);
  const med = (scenario, contender, durability, metric) => median(get(scenario, contender, durability).map((r) => r[metric]));
  const name = (contender, durability) => `${contender === 'baton' ? 'baton' : 'raw better-sqlite3'} (${durability})`;
  const ratio = (scenario, contender, durability, metric) =>
    contender === 'baton' ? (med(scenario, 'baton', durability, metric) / med(scenario, 'raw', durability, metric)).toFixed(2) : '-';
  const range = (xs, f) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`;
  const ms3 = (v) => `${v.toFixed(3)} ms`;
  const ms1 = (v) => `${v.toFixed(1)} ms`;
  const sps = (v) => `${Math.round(v).toLocaleString('en')}`;
  const ordered = [...CONTENDERS].sort((a, b) => (a[1] === b[1] ? 0 : a[1] === 'full' ? -1 : 1));

  const chainRows = ordered.map(([c, d]) => {
    const rs = get('chain', c, d);
    return [
      name(c, d),
      ms3(med('chain', c, d, 'p50')),
      ms3(med('chain', c, d, 'p99')),
      ms3(med('chain', c, d, 'mean')),
      ms1(med('chain', c, d, 'ms')),
      ms3(median(rs.map((r) => r.cpuMs / r.steps))),
      ratio('chain', c, d, 'p50'),
      ratio('chain', c, d, 'p99'),
      range(rs.map((r) => r.p50), (v) => v.toFixed(3)),
    ];
  });
  const tpRows = ordered.map(([c, d]) => {
    const rs = get('throughput', c, d);
    return [
      name(c, d),
      sps(med('throughput', c, d, 'stepsPerSec')),
      ms1(med('throughput', c, d, 'ms')),
      ms1(med('throughput', c, d, 'cpuMs')),
      ratio('throughput', c, d, 'stepsPerSec'),
      range(rs.map((r) => r.stepsPerSec), sps),
    ];
  });
  const foRows = ordered.map(([c, d]) => {
    const rs = get('fanout', c, d);
    return [name(c, d), ms1(med('fanout', c, d, 'ms')), ms1(med('fanout', c, d, 'cpuMs')), ratio('fanout', c, d, 'ms'), range(rs.map((r) => r.ms), (v) => v.toFixed(1))];
  });
  const targetRows = TARGETS.map(([label, scenario, durability, metric, op, limit, fmt]) => {
    const v = med(scenario, 'baton', durability, metric);
    const pass = op === '<=' ? v <= limit : v >= limit;
    return [label, fmt(v), pass ? 'PASS' : 'FAIL'];
  });
  const [runs, batches, size] = THROUGHPUT_SHAPE.split('x').map(Number);
  const of = `median of ${rounds} interleaved round${rounds > 1 ? 's' : ''}, each a fresh process and database`;
  return [
    `### Code workflows: chain of ${CHAIN_STEPS} sequential no-op steps, per-step latency (between consecutive step completions, inside the workflow), ${of}`,
    table(['contender', '>p50', '>p99', '>mean', '>whole chain', '>cpu/step', '>p50 baton/raw', '>p99 baton/raw', '>p50 min – max'], chainRows),
    `### Code workflows: throughput, ${(runs * batches * size).toLocaleString('en')} no-op steps (${runs} run, ${batches} sequential Promise.all batches of ${size.toLocaleString('en')}), ${of}`,
    table(['contender', '>steps/s', '>wall', '>cpu', '>baton/raw (higher is better)', '>steps/s min – max'], tpRows),
    `### Code workflows: fan-out, 1 step -> ${FANOUT_WIDTH.toLocaleString('en')} parallel no-op steps -> 1 join step, start to result, ${of}`,
    table(['contender', '>wall', '>cpu', '>baton/raw', '>min – max'], foRows),
    `### Code workflows: targets (baton, medians above)`,
    table(['target', '>measured', 'result'], targetRows),
  ];
}

function describe(scenario, r) {
  const cpu = `cpu ${r.cpuMs.toFixed(1)} ms`;
  if (scenario === 'chain') return `p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  (${r.ms.toFixed(1)} ms, ${cpu})`;
  if (scenario === 'throughput') return `${Math.round(r.stepsPerSec).toLocaleString('en')} steps/s  (${r.ms.toFixed(1)} ms, ${cpu})`;
  return `${r.ms.toFixed(1)} ms  (${cpu})`;
}

// =============================================================== child side

/** p-th percentile, nearest rank. */
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function latencyStats(times) {
  const d = [];
  for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  return { steps: d.length, p50: percentile(d, 50), p99: percentile(d, 99), max: Math.max(...d), mean: (times.at(-1) - times[0]) / d.length, ms: times.at(-1) - times[0] };
}

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// ---------------------------------------------------------------- baton

async function runBaton(scenario, durability, db, { steps, shape, prof }) {
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

// ---------------------------------------------------------------- raw better-sqlite3

async function runRaw(scenario, durability, db, { steps, shape, prof }) {
  const { default: Database } = await import('better-sqlite3');
  const { fdatasync, openSync, closeSync } = await import('node:fs');
  const sqlite = new Database(db);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const files = readdirSync(MIGRATIONS)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  for (const f of files) sqlite.transaction(() => sqlite.exec(readFileSync(join(MIGRATIONS, f), 'utf8'))).immediate();

  const p = (sql) => sqlite.prepare(sql);
  // Verbatim from src/store/sqlite/journal.ts and transitions.ts.
  const s = {
    owner: p(`SELECT owner FROM runs WHERE id = ?`),
    upsertDone: p(`INSERT INTO steps (run_id, id, kind, name, status, attempt, failures, deps_unmet, depends_on,
          result, error, ready_at, started_at, finished_at, completed_seq, ord)
        VALUES (?, ?, ?, ?, ?, ?, ?, 0, '[]', ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
        failures = steps.failures + excluded.failures, result = excluded.result, error = excluded.error,
        ready_at = excluded.ready_at, started_at = COALESCE(steps.started_at, excluded.started_at),
        finished_at = excluded.finished_at, completed_seq = excluded.completed_seq
      WHERE steps.status IN ('ready', 'retrying', 'running')`),
    insertAttemptDone: p(`INSERT OR REPLACE INTO attempts (run_id, step_id, attempt, status, owner, started_at, finished_at, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    event: p(`INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (?, ?, ?, ?, ?, ?)`),
    insertRun: p(`INSERT INTO runs (id, workflow, status, created_at, started_at, owner, open_steps, parent_id)
        VALUES (?, ?, 'running', ?, ?, ?, ?, ?)`),
    insertPayload: p(`INSERT INTO run_payloads (run_id, input, definition) VALUES (?, ?, ?)`),
    setRunStatus: p(`UPDATE runs SET status = ?, error = ?, then_status = ?, wake_at = ?,
          finished_at = CASE WHEN ? IN ('succeeded', 'failed', 'cancelled', 'timed_out') THEN ? ELSE NULL END
        WHERE id = ? AND status IN (SELECT value FROM json_each(?)) RETURNING id`),
    setResult: p(`UPDATE run_payloads SET result = ? WHERE run_id = ?`),
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
  };
  const OWNER = `bench:${process.pid}`;
  const owns = (runId) => {
    if (s.owner.get(runId)?.owner !== OWNER) throw new Error(`run ${runId} not owned`);
  };
  const createRun = (runId, workflow, input) => {
    const now = Date.now();
    s.insertRun.run(runId, workflow, now, now, OWNER, 0, null);
    s.insertPayload.run(runId, JSON.stringify(input), JSON.stringify({ kind: 'code', name: workflow, workdir: process.cwd() }));
    s.event.run(runId, now, 'run:started', null, null, JSON.stringify({ workflow, steps: 0 }));
  };
  const finishRun = (runId, result) => {
    const now = Date.now();
    if (!s.setRunStatus.get('succeeded', null, null, null, 'succeeded', now, runId, '["running","waiting"]')) throw new Error('setRunStatus refused');
    s.setResult.run(result, runId);
    s.event.run(runId, now, 'run:succeeded', null, null, null);
  };
  const recordStep = (runId, key, position) => {
    owns(runId);
    const now = Date.now();
    const seq = Number(s.event.run(runId, now, 'step:succeeded', key, 1, null).lastInsertRowid);
    const done = s.upsertDone.run(runId, key, 'step', key.replace(/#\d+$/, ''), 'succeeded', 1, 0, 'null', null, null, now, now, seq, position);
    if (done.changes === 0) throw new Error(`record ${key} refused`);
    s.insertAttemptDone.run(runId, key, 1, 'succeeded', OWNER, now, now, null);
  };
  // One transaction; for `full`, then an fdatasync of the WAL off the event loop (as wal-sync.ts).
  let fd;
  const fsync = promisify(fdatasync);
  const tx = (fn) => {
    s.begin.run();
    try {
      fn();
      s.commit.run();
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
    if (durability !== 'full') return undefined;
    fd ??= openSync(`${db}-wal`, 'r');
    return fsync(fd);
  };
  const occurrences = new Map();
  const keyOf = (name) => {
    const n = (occurrences.get(name) ?? 0) + 1;
    occurrences.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  };
  const runIdOf = (i) => `${Date.now().toString(36).padStart(9, '0')}bench${String(i).padStart(2, '0')}`;
  const verify = (runId, expectedSteps, expectedResult) => {
    const run = sqlite.prepare('SELECT r.status, p.result FROM runs r JOIN run_payloads p ON p.run_id = r.id WHERE r.id = ?').get(runId);
    check(run?.status === 'succeeded', `raw run ${runId} is ${run?.status}`);
    check(expectedResult === undefined || run.result === expectedResult, `raw run ${runId} result ${run.result}, expected ${expectedResult}`);
    const { n, total } = sqlite
      .prepare(`SELECT count(*) FILTER (WHERE status = 'succeeded' AND attempt = 1) AS n, count(*) AS total FROM steps WHERE run_id = ?`)
      .get(runId);
    check(n === expectedSteps && total === expectedSteps, `raw run ${runId}: ${n} of ${total} steps succeeded, expected ${expectedSteps}`);
    const attempts = sqlite.prepare(`SELECT count(*) AS n FROM attempts WHERE run_id = ? AND status = 'succeeded'`).get(runId).n;
    check(attempts === expectedSteps, `raw run ${runId}: ${attempts} attempts succeeded, expected ${expectedSteps}`);
  };

  let out;
  if (scenario === 'chain') {
    const runId = runIdOf(0);
    await prof.start();
    await tx(() => createRun(runId, 'bench-chain', steps));
    const times = new Array(steps + 1);
    times[0] = performance.now();
    for (let i = 0; i < steps; i++) {
      const key = keyOf('s');
      const synced = tx(() => {
        recordStep(runId, key, i);
      });
      if (synced) await synced;
      times[i + 1] = performance.now();
    }
    await tx(() => finishRun(runId, 'null'));
    await prof.stop();
    out = latencyStats(times);
    verify(runId, steps);
  } else if (scenario === 'throughput') {
    const [runs, batches, size] = shape;
    await prof.start();
    const t0 = performance.now();
    const ids = Array.from({ length: runs }, (_, r) => runIdOf(r));
    const keys = ids.map(() => new Map());
    const keyIn = (r, name) => {
      const m = keys[r];
      const n = (m.get(name) ?? 0) + 1;
      m.set(name, n);
      return n === 1 ? name : `${name}#${n}`;
    };
    await tx(() => ids.forEach((id) => createRun(id, 'bench-throughput', { batches, size })));
    let position = 0;
    for (let b = 0; b < batches; b++) {
      // One commit per batch: every run's batch, begins then ends, like the group commit.
      await tx(() => {
        for (let r = 0; r < runs; r++) {
          for (let i = 0; i < size; i++) recordStep(ids[r], keyIn(r, 's'), position + i);
        }
      });
      position += size;
    }
    await tx(() => ids.forEach((id) => finishRun(id, String(batches * size))));
    const ms = performance.now() - t0;
    await prof.stop();
    out = { ms, steps: runs * batches * size, stepsPerSec: (runs * batches * size * 1000) / ms };
    for (const id of ids) verify(id, batches * size, String(batches * size));
  } else if (scenario === 'fanout') {
    const runId = runIdOf(0);
    await prof.start();
    const t0 = performance.now();
    await tx(() => createRun(runId, 'bench-fanout', steps));
    await tx(() => {
      recordStep(runId, 'first', 0);
    });
    await tx(() => {
      for (let i = 0; i < steps; i++) recordStep(runId, keyOf('s'), 1 + i);
    });
    await tx(() => {
      recordStep(runId, 'join', steps + 1);
    });
    await tx(() => finishRun(runId, String(steps)));
    const ms = performance.now() - t0;
    await prof.stop();
    out = { ms, steps: steps + 2 };
    verify(runId, steps + 2, String(steps));
  } else throw new Error(`unknown scenario ${scenario}`);
  if (fd !== undefined) closeSync(fd);
  sqlite.close();
  return out;
}

/**
 * Brackets the timed part: { start(), stop(), cpuMs } where cpuMs is this
 * process's CPU time (user + system) in between, and, when asked
 * (--profile), a CPU profile of it.
 */
async function profiler(file, intervalUs) {
  const span = { cpuMs: undefined, c0: undefined };
  const cpuStart = () => (span.c0 = process.cpuUsage());
  const cpuStop = () => {
    const { user, system } = process.cpuUsage(span.c0);
    span.cpuMs = (user + system) / 1000;
  };
  if (!file) {
    span.start = async () => cpuStart();
    span.stop = async () => cpuStop();
    return span;
  }
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  span.start = async () => {
    await post('Profiler.start');
    cpuStart();
  };
  span.stop = async () => {
    cpuStop();
    const { profile } = await post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
  return span;
}

async function child(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      steps: { type: 'string' },
      shape: { type: 'string' },
      keep: { type: 'boolean', default: false },
      profile: { type: 'string' },
      interval: { type: 'string' },
    },
  });
  const [, scenario, contender, durability] = positionals;
  if (!SCENARIOS.includes(scenario) || !['baton', 'raw'].includes(contender) || !['full', 'normal'].includes(durability)) {
    process.stderr.write('usage: node bench/code.mjs run chain|throughput|fanout baton|raw full|normal [--steps N] [--shape RxBxS] [--db PATH] [--keep]\n');
    process.exit(2);
  }
  const db = values.db ?? join(BENCH, '.work', 'code', `manual-${scenario}-${contender}-${durability}-${process.pid}.db`);
  mkdirSync(dirname(db), { recursive: true });
  removeDb(db);
  const steps = Number(values.steps ?? (scenario === 'fanout' ? FANOUT_WIDTH : CHAIN_STEPS));
  const shape = (values.shape ?? THROUGHPUT_SHAPE).split('x').map(Number);
  if (shape.length !== 3 || shape.some((n) => !(n >= 1))) throw new Error(`--shape must be RUNSxBATCHESxSIZE (got ${values.shape})`);
  const run = contender === 'baton' ? runBaton : runRaw;
  const prof = await profiler(values.profile, Number(values.interval ?? 50));
  const result = await run(scenario, durability, db, { steps, shape, prof });
  result.cpuMs = prof.cpuMs;
  if (!values.keep) removeDb(db);
  process.stdout.write(JSON.stringify({ scenario, contender, durability, ...result }) + '\n');
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] !== 'run') {
    process.stderr.write('bench/code.mjs: run it through bench/run.mjs (--only code), or: node bench/code.mjs run SCENARIO CONTENDER DURABILITY\n');
    process.exit(2);
  }
  child(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
