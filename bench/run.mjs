// baton benchmarks. Every number is the wall time of a child process measured
// by this parent, from spawn() to its 'exit' event, with stdout sent to
// /dev/null. Generated files go to bench/.work/.
//
// 1. graph     The same seeded graph of 1,000 tasks (10 layers of 100; each
//              task of layer k>0 depends on 2 distinct random tasks of layer
//              k-1; every command is `true`) run at N = 2 and N = 8 by
//                baton (BATON_DURABILITY=full), baton (normal), both with a
//                fresh --home per run, GNU make -j N (phony targets, recipe
//                `@true`), and bench/bare-loop.mjs (the floor for Node) twice:
//                with child_process.spawn, and with baton's own launcher
//                (posix_spawn), which shows what baton's bookkeeping costs.
//              Rounds are interleaved (round 1: every contender, round 2: ...)
//              and each cell is the median of the rounds. Every run must exit
//              0; each baton run is then checked, outside the timing, with
//              `baton show --json`: run succeeded, all 1,000 steps succeeded in
//              one attempt, none started before its dependencies finished.
// 2. validate  `baton validate` on 100,000 tasks (10 layers of 10,000) as JSON
//              and YAML: median wall time and peak RSS (max over the runs),
//              via `/usr/bin/time -f %M` (else a --import hook printing
//              process.resourceUsage().maxRSS). Targets: < 1 s, < 300 MB.
// 3. startup   `baton validate examples/flaky.yaml` and `baton --help`,
//              median of 10, target < 0.3 s; `node -e 0` as the baseline.
// 4. code      Durable code workflows on the embedded store (chain latency,
//              throughput, fan-out), durability full and normal, against raw
//              better-sqlite3 doing the same writes: see bench/code.mjs.
//
// 5. pg        baton's workers on PostgreSQL against graphile-worker, pg-boss
//              and BullMQ (throughput, chain latency, fan-out): see bench/pg.mjs.
//              Needs PostgreSQL and Redis (skipped without them unless --only pg).
//    pg-deep   Not in the default run (about 30 minutes): the pg section's
//              throughput with 200,000 jobs waiting rather than 20,000: see
//              bench/pg/deep.mjs. Only with --only pg-deep.
//
// 6. server   baton server over HTTP: trigger-to-start latency, and run list pages
//              with 100,000 runs in the store: see bench/server.mjs.
//
// 7. console  the web console in Chromium: bundle size, the runs page with
//              100,000 runs, a 1,000-task graph drawn, and frames while it runs
//              live: see bench/console.mjs.
//
//   node bench/run.mjs [--quick] [--only graph|validate|startup|code|pg|pg-deep|server|console] [--rounds N]
//
// --quick: 1 round, 1 validation run, 3 start-ups, no 100k YAML (smoke check).
// Exits non-zero if any contender fails (no number is printed for it) or times
// out (120 s a run; a validation killed after 30 s shows as FAIL in its table).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCode } from './code.mjs';
import { benchPg } from './pg.mjs';
import { benchPgDeep } from './pg/deep.mjs';
import { benchConsole } from './console.mjs';
import { benchServer } from './server.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const WORK = join(BENCH, '.work');
const CLI = join(ROOT, 'dist/cli/main.js');
const BARE = join(BENCH, 'bare-loop.mjs');

const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, rounds: { type: 'string' } },
});
const SECTIONS = ['graph', 'validate', 'startup', 'code', 'pg', 'pg-deep', 'server', 'console'];
if (opts.only && !SECTIONS.includes(opts.only)) die(`--only must be one of ${SECTIONS.join(', ')}`);
// pg-deep runs only when asked for.
const want = (s) => (!opts.only && s !== 'pg-deep') || opts.only === s;
const ROUNDS = opts.rounds ? Number(opts.rounds) : opts.quick ? 1 : 3;
const VALIDATE_RUNS = opts.quick ? 1 : 3;
const STARTUP_RUNS = opts.quick ? 3 : 10;
const CONCURRENCY = [2, 8];

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(1);
}
const log = (msg) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------- processes

const baseEnv = { ...process.env, BATON_PLAIN: '1', NO_COLOR: '1' };
for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete baseEnv[k];

const live = new Set(); // children still running, each the leader of its own group
process.on('SIGINT', () => {
  for (const pid of live) kill(pid);
  process.exit(130);
});
function kill(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Spawn, wait for exit: { ms, stderr }. Throws unless it exited 0 within
 * timeoutMs (error.timedOut then). Detached so that a timeout ends the whole
 * group, e.g. node under /usr/bin/time.
 */
function timed(name, file, args, { env = baseEnv, cwd = WORK, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    live.add(child.pid);
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    let ms;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child.pid);
    }, timeoutMs);
    child.on('exit', () => (ms = Number(process.hrtime.bigint() - t0) / 1e6));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child.pid);
      if (code === 0 && !timedOut) return resolve({ ms, stderr });
      const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${code ?? signal}`;
      const error = new Error(`${name} FAILED (${why}): ${file} ${args.join(' ')}\n${stderr.slice(-2000)}`);
      error.timedOut = timedOut;
      reject(error);
    });
  });
}

function baton(args, env = baseEnv) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, cwd: WORK, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`baton ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------- generated files

/** mulberry32: a small seeded PRNG, so every run benchmarks the same graph. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function layeredGraph(layers, width, seed) {
  const rand = rng(seed);
  const id = (k, i) => `t${k}_${i}`;
  const tasks = [];
  for (let k = 0; k < layers; k++) {
    for (let i = 0; i < width; i++) {
      const task = { id: id(k, i), command: 'true', dependsOn: [] };
      if (k > 0) {
        const a = Math.floor(rand() * width);
        let b = Math.floor(rand() * (width - 1));
        if (b >= a) b++; // distinct from a
        task.dependsOn = [id(k - 1, a), id(k - 1, b)];
      }
      tasks.push(task);
    }
  }
  return tasks;
}

const toJson = (tasks) => '[\n' + tasks.map((t) => '  ' + JSON.stringify(t)).join(',\n') + '\n]\n';

const toYaml = (tasks, name) =>
  `name: ${name}\ntasks:\n` +
  tasks
    .map((t) => `  - id: ${t.id}\n    command: "true"\n` + (t.dependsOn.length ? `    dependsOn: [${t.dependsOn.join(', ')}]\n` : ''))
    .join('');

const toMakefile = (tasks) =>
  `# ${tasks.length} phony targets; each recipe is @true.\n` +
  `.PHONY: all\nall: ${tasks.map((t) => t.id).join(' ')}\n\n` +
  tasks.map((t) => `.PHONY: ${t.id}\n${t.id}: ${t.dependsOn.join(' ')}\n\t@true\n`).join('');

function write(name, text) {
  const path = join(WORK, name);
  writeFileSync(path, text);
  return path;
}

// ---------------------------------------------------------------- stats and tables

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sec = (ms) => `${(ms / 1000).toFixed(3)} s`;
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

/** An aligned markdown table; columns whose header starts with '>' are right-aligned. */
function table(headers, rows) {
  const right = headers.map((h) => h.startsWith('>'));
  const head = headers.map((h) => h.replace(/^>/, ''));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (v, i) => (right[i] ? String(v).padStart(w[i]) : String(v).padEnd(w[i]));
  const line = (r) => `| ${r.map(cell).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (right[i] ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- 1. graph

/** Outside the timing: the run succeeded, every step once, in dependency order. */
function checkBatonRun(home, graph) {
  const runs = JSON.parse(baton(['runs', '--json', '--home', home]));
  if (runs.length !== 1 || runs[0].status !== 'succeeded') throw new Error(`baton run in ${home}: ${JSON.stringify(runs)}`);
  const report = JSON.parse(baton(['show', runs[0].id, '--json', '--home', home]));
  const steps = new Map(report.steps.map((s) => [s.id, s]));
  const bad = graph.filter((t) => {
    const s = steps.get(t.id);
    if (!s || s.status !== 'succeeded' || s.attempts !== 1) return true;
    return t.dependsOn.some((d) => Date.parse(steps.get(d).finishedAt) > Date.parse(s.startedAt));
  });
  if (report.steps.length !== graph.length || bad.length > 0) {
    throw new Error(`baton run ${runs[0].id}: ${report.steps.length} steps, ${bad.length} wrong (first: ${bad[0]?.id})`);
  }
}

async function benchGraph() {
  const graph = layeredGraph(10, 100, 42);
  const jsonFile = write('graph-1000.json', toJson(graph));
  const makefile = write('graph-1000.mk', toMakefile(graph));
  const homes = join(WORK, 'homes');
  let seq = 0;
  const runBaton = (durability) => async (n) => {
    const home = join(homes, `run-${seq++}`);
    rmSync(home, { recursive: true, force: true });
    const env = { ...baseEnv, BATON_DURABILITY: durability };
    const r = await timed(`baton (${durability})`, process.execPath, [CLI, 'run', jsonFile, '--concurrency', String(n), '--home', home], { env });
    checkBatonRun(home, graph);
    rmSync(home, { recursive: true, force: true });
    return r;
  };
  const contenders = [
    ['baton (durable)', runBaton('full')],
    ['baton (normal)', runBaton('normal')],
    ['make -j N', (n) => timed('make', 'make', ['-s', '-f', makefile, '-j', String(n), 'all'])],
    ['bare Node loop', (n) => timed('bare loop', process.execPath, [BARE, jsonFile, String(n)])],
    ['bare loop, posix_spawn', (n) => timed('bare loop (posix_spawn)', process.execPath, [BARE, jsonFile, String(n), 'posix'])],
  ];
  const times = new Map(); // `${name}@${n}` -> ms[]
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the starting contender each round so none always runs first.
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const n of CONCURRENCY) {
      for (const [name, run] of order) {
        const { ms } = await run(n);
        const key = `${name}@${n}`;
        times.set(key, [...(times.get(key) ?? []), ms]);
        log(`  round ${round + 1}/${ROUNDS}  N=${n}  ${name.padEnd(22)} ${sec(ms)}`);
      }
    }
  }
  const rows = [];
  const ratios = [];
  for (const n of CONCURRENCY) {
    const med = (name) => median(times.get(`${name}@${n}`));
    for (const [name] of contenders) {
      const xs = times.get(`${name}@${n}`);
      rows.push([n, name, sec(median(xs)), sec(Math.min(...xs)), sec(Math.max(...xs)), `${(median(xs) / graph.length).toFixed(2)} ms`]);
    }
    for (const b of ['baton (durable)', 'baton (normal)']) {
      ratios.push([n, b, (med(b) / med('bare Node loop')).toFixed(2), (med(b) / med('bare loop, posix_spawn')).toFixed(2), (med(b) / med('make -j N')).toFixed(2)]);
    }
  }
  return [
    `### Graph scheduling: ${graph.length.toLocaleString('en')} tasks (10 layers of 100, 2 deps each, \`true\`), median of ${ROUNDS} interleaved rounds`,
    table(['>N', 'contender', '>median', '>min', '>max', '>per task'], rows),
    table(['>N', 'baton', '>÷ bare Node loop', '>÷ bare loop, posix_spawn', '>÷ make'], ratios),
  ];
}

// ---------------------------------------------------------------- 2. validate

const TIME = ['/usr/bin/time'].find((p) => existsSync(p));
const RSS_HOOK = 'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nmaxrss="+process.resourceUsage().maxRSS+"\\n"))';

const VALIDATE_TIMEOUT_MS = 30_000;

/** `baton validate FILE`: { ms, kb } (peak resident set in KiB). */
async function validateOnce(file) {
  const timeoutMs = VALIDATE_TIMEOUT_MS;
  if (TIME) {
    const out = join(WORK, 'time.out');
    const r = await timed('baton validate', TIME, ['-f', '%M', '-o', out, process.execPath, CLI, 'validate', file], { timeoutMs });
    return { ms: r.ms, kb: Number(readFileSync(out, 'utf8').trim().split('\n').pop()) };
  }
  const r = await timed('baton validate', process.execPath, ['--import', RSS_HOOK, CLI, 'validate', file], { timeoutMs });
  return { ms: r.ms, kb: Number(/maxrss=(\d+)/.exec(r.stderr)[1]) };
}

async function benchValidate() {
  const graph = layeredGraph(10, 10_000, 7);
  const files = [['JSON', write('graph-100k.json', toJson(graph))]];
  if (!opts.quick) files.push(['YAML', write('graph-100k.yaml', toYaml(graph, 'bench-100k'))]);
  const rows = [];
  for (const [kind, file] of files) {
    const runs = [];
    const size = `${(statSync(file).size / 1048576).toFixed(1)} MB`;
    for (let i = 0; i < VALIDATE_RUNS; i++) {
      try {
        runs.push(await validateOnce(file));
      } catch (error) {
        if (!error.timedOut) throw error;
        // A miss, not a crash: say so in the table, and fail the bench at the end.
        log(`  validate ${kind}: ${error.message.split('\n')[0]}`);
        failures.push(`baton validate (${kind}, 100k tasks) did not finish within ${VALIDATE_TIMEOUT_MS / 1000} s`);
        break;
      }
      log(`  validate ${kind} ${i + 1}/${VALIDATE_RUNS}  ${sec(runs.at(-1).ms)}  ${mb(runs.at(-1).kb)}`);
    }
    if (runs.length < VALIDATE_RUNS) {
      rows.push([kind, size, `> ${VALIDATE_TIMEOUT_MS / 1000} s (killed)`, 'FAIL', '-', '-']);
      continue;
    }
    const ms = median(runs.map((r) => r.ms));
    const kb = Math.max(...runs.map((r) => r.kb));
    rows.push([kind, size, sec(ms), ms < 1000 ? 'PASS' : 'FAIL', mb(kb), kb < 300 * 1024 ? 'PASS' : 'FAIL']);
  }
  return [
    `### Validation at scale: \`baton validate\` on ${graph.length.toLocaleString('en')} tasks, median of ${VALIDATE_RUNS} (RSS: max, ${TIME ? '/usr/bin/time %M' : 'process.resourceUsage().maxRSS'})`,
    table(['file', '>size', '>wall', '< 1 s', '>peak RSS', '< 300 MB'], rows),
  ];
}

// ---------------------------------------------------------------- 3. startup

async function benchStartup() {
  const flaky = join(ROOT, 'examples/flaky.yaml');
  const cases = [
    ['baton validate examples/flaky.yaml', [CLI, 'validate', flaky], true],
    ['baton --help', [CLI, '--help'], true],
    ['node -e 0 (baseline)', ['-e', '0'], false],
  ];
  const times = cases.map(() => []);
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const [c, [name, args]] of cases.entries()) times[c].push((await timed(name, process.execPath, args)).ms);
  }
  const rows = cases.map(([name, , target], c) => {
    const m = median(times[c]);
    return [name, sec(m), sec(Math.min(...times[c])), sec(Math.max(...times[c])), target ? (m < 300 ? 'PASS' : 'FAIL') : '-'];
  });
  return [`### CLI start-up: median of ${STARTUP_RUNS}`, table(['command', '>median', '>min', '>max', '< 0.3 s'], rows)];
}

// ---------------------------------------------------------------- main

if (!existsSync(CLI)) die(`${CLI} is missing: run "npm run build" first (or "npm run bench")`);
mkdirSync(WORK, { recursive: true });
const version = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
const load = os.loadavg()[0];
if (load > 0.5) log(`bench: warning: load average ${load.toFixed(2)} before starting: other work on this machine skews the numbers`);
const machine = `${os.cpus()[0]?.model ?? 'cpu'} (${os.availableParallelism()} CPUs), ${os.platform()} ${os.release()}`;
const header = [
  '## Benchmarks',
  `${machine}, Node ${process.version}, ${version('make', ['--version'])}, load average ${load.toFixed(2)} at start, ${new Date().toISOString().slice(0, 10)}${opts.quick ? ' (--quick)' : ''}`,
];
const started = Date.now();
const blocks = [];
const failures = []; // contenders that timed out but still got a row
try {
  const code = () => benchCode({ rounds: ROUNDS, work: WORK, log, table, median });
  const pg = () => benchPg({ rounds: ROUNDS, log, table, median, failures, required: opts.only === 'pg' });
  const pgDeep = () => benchPgDeep({ rounds: ROUNDS, log, table, median, failures });
  const server = () => benchServer({ root: ROOT, cli: CLI, work: WORK, log, table });
  const consoleUi = () => benchConsole({ root: ROOT, cli: CLI, work: WORK, log, table });
  for (const [name, fn] of [['graph', benchGraph], ['validate', benchValidate], ['startup', benchStartup], ['code', code], ['pg', pg], ['pg-deep', pgDeep], ['server', server], ['console', consoleUi]]) {
    if (!want(name)) continue;
    log(`== ${name}`);
    const block = await fn();
    process.stdout.write('\n' + block.join('\n\n') + '\n\n');
    blocks.push(block.join('\n\n'));
  }
} catch (error) {
  process.stderr.write(`\nbench: ${error.message}\n`);
  process.exit(1);
}
log(`(took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.stdout.write(`\n---- markdown ----\n\n${[...header, ...blocks].join('\n\n')}\n`);
if (failures.length > 0) {
  process.stderr.write(`\nbench: FAILED:\n${failures.map((f) => `  ${f}\n`).join('')}`);
  process.exitCode = 1;
}
