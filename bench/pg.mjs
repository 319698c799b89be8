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
// before any worker starts and the schema's tables analyzed (statistics, as a
// database in use has them: with none, graphile-worker's fetch read its whole
// jobs table each time at 200,000 jobs, and did 20% less at 20,000), then N
// worker processes started
// (bench/pg/child.mjs), each connecting and getting ready, and only then all told
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
//        [--warm N (chain: N hops before the 500 measured, in the same worker process: its steady state, past the JIT's warm-up)]
//        [--node-flags="FLAGS" (node's flags for the worker processes, e.g. --node-flags="--no-opt --no-maglev": no optimizing compiles)]
//        [--function FILE (baton: SQL run in its schema after the migrations, e.g. a variant of baton_step_batch from
//         bench/pg/variant.mjs; the store's check then skips the attempt rows, which a variant may not write)]
// CONTENDER: baton, baton (default), graphile-worker (tuned), graphile-worker (batched), graphile-worker (default), pg-boss, BullMQ.
// Summarize a profile with node bench/cpuprofile-top.mjs DIR/FILE.cpuprofile.
//
// Modules (bench/pg/): common (settings), adapters (baton's; the peers' are
// bench/peers/peers.mjs), measure (one measurement and its checks), child
// (a worker process), setup (database, peers, versions), report (tables and
// targets); hop.mjs, the store's round trip alone, hop by hop beside the
// floor; variant.mjs, variants of the round-trip function to measure a part
// of it (no-history); deep.mjs, the section pg-deep (throughput with
// 200,000 jobs waiting). This file: the rounds, and `run` for one measurement by hand.
//
// Where: BATON_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test, a
// database to connect to first; the bench makes its own next to it) and
// BATON_BENCH_REDIS (default redis://127.0.0.1:6379).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BATON, CASES, CONTENDERS, DIST, FLOOR, PG_URL, REDIS_URL, SHAPE, keysOf } from './pg/common.mjs';
import { measure, measureFloor } from './pg/measure.mjs';
import { fmtMs, fmtRate, report } from './pg/report.mjs';
import { batonVersion, createDatabase, ensurePeers, redisVersion } from './pg/setup.mjs';

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
    return report({ results, failed, rounds, median, table, versions, dbVersion: db.version, redis, batonAtStart, log });
  } finally {
    await db.drop().catch((error) => log(`  bench pg: dropping the bench database: ${error.message}`));
  }
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
      warm: { type: 'string' },
      'node-flags': { type: 'string' },
      function: { type: 'string' },
    },
  });
  const [, scenario, contender] = positionals;
  if (!['throughput', 'chain', 'fanout'].includes(scenario) || !CONTENDERS.includes(contender)) {
    process.stderr.write(`usage: node bench/pg.mjs run throughput|chain|fanout CONTENDER [--workers N] [--concurrency N] [--claim-ahead N] [--shape RxS] [--profile DIR] [--sql] [--warm N] [--node-flags="FLAGS"] [--function FILE]\n  CONTENDER: ${CONTENDERS.join(', ')}\n`);
    process.exit(2);
  }
  if (values.function && !contender.startsWith('baton')) throw new Error('--function is for baton: it replaces baton functions in its schema');
  const functionSql = values.function ? readFileSync(values.function, 'utf8') : undefined;
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
    const warm = Number(values.warm ?? 0);
    if (!(Number.isInteger(warm) && warm >= 0)) throw new Error(`--warm must be a whole number of hops (got ${values.warm})`);
    const nodeFlags = values['node-flags']?.split(/\s+/).filter(Boolean) ?? [];
    const metric = await measure(contender, scenario, workers, { dbUrl: db.url, batonOptions, shape, warm, nodeFlags, functionSql });
    const { sql } = metric;
    delete metric.sql;
    if (sql) {
      const jobs = keysOf(scenario, shape, warm).length;
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
  if (mode !== 'run') {
    process.stderr.write('bench/pg.mjs: run it through bench/run.mjs (--only pg), or: node bench/pg.mjs run SCENARIO CONTENDER [--workers N]\n');
    process.exit(2);
  }
  runOne(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
}
