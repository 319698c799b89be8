// baton benchmarks, section "code": durable TypeScript (code) workflows on the
// embedded SQLite store, through the library API in dist/, each with
// durability `full` (the WAL fdatasync'ed before a step is acknowledged) and
// `normal` (no fsync), against a raw better-sqlite3 script doing the same SQL
// writes. Imported by bench/run.mjs (`node bench/run.mjs --only code`); every
// measurement is a fresh child process (bench/code/child.mjs) on a fresh
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
//   node bench/code/child.mjs chain|throughput|fanout baton|raw full|normal [--steps N] [--shape RxBxS] [--db PATH] [--keep]
//        [--profile FILE.cpuprofile [--interval US]]
// --profile writes a V8 CPU profile of the timed part only (node:inspector,
// started just before the timing starts and stopped when it ends; for chain,
// from engine.start() to the result), sampling every --interval µs (default
// 50); `node --cpu-prof` profiles the whole process instead (module loading,
// migrations and the checks included). Summarize either with
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [N]
//
// Modules (bench/code/): common (settings, paths, the checks and statistics),
// measure (one measurement: the child process spawned and its JSON line),
// child (the child process: arguments, CPU time and profile), baton (baton's
// side of a measurement), raw (the raw better-sqlite3 baseline), report
// (tables and targets). This file: the rounds.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENDERS, SCENARIOS, removeDb } from './code/common.mjs';
import { measure } from './code/measure.mjs';
import { describe, report } from './code/report.mjs';

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
  return report({ results, rounds, median, table });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  process.stderr.write('bench/code.mjs: run it through bench/run.mjs (--only code), or one measurement: node bench/code/child.mjs SCENARIO CONTENDER DURABILITY\n');
  process.exit(2);
}
