// Section "pg-deep" (`node bench/run.mjs --only pg-deep`, not in the default
// run: about 30 minutes): the throughput scenario of bench/pg.mjs with a
// backlog ten times deeper, 200,000 no-op jobs (baton: 20 runs x 10,000
// steps) waiting when the workers start, with 1, 2 and 4 worker processes,
// interleaved rounds, medians. The 20,000 jobs take about a second,
// and a fresh baton worker process spends much of it warming up (V8
// compiling its code): this shows each side over a longer backlog. pg-boss
// is left out (about 4,000 jobs/s here, a minute a cell); every other
// contender of the section runs, set up, analyzed and checked as there.
import { CONTENDERS, WORKERS } from './common.mjs';
import { measure } from './measure.mjs';
import { fmtRate, ratio } from './report.mjs';
import { createDatabase, ensurePeers, batonVersion } from './setup.mjs';

const SHAPE = { runs: 20, steps: 10_000 };
const DEEP = CONTENDERS.filter((c) => c !== 'pg-boss');

export async function benchPgDeep({ rounds, log, table, median, failures }) {
  ensurePeers(log);
  const version = batonVersion();
  const db = await createDatabase();
  const results = new Map(); // `${contender}|${workers}` -> metric[]
  const failed = new Set();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const workers of WORKERS) {
        for (const contender of DEEP.map((_, i) => DEEP[(i + round) % DEEP.length])) {
          const key = `${contender}|${workers}`;
          if (failed.has(key)) continue;
          const started = Date.now();
          try {
            const metric = await measure(contender, 'throughput', workers, { dbUrl: db.url, shape: SHAPE });
            results.set(key, [...(results.get(key) ?? []), metric]);
            log(`  round ${round + 1}/${rounds}  ${workers}w  ${contender.padEnd(26)} ${fmtRate(metric.rate).padEnd(12)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          } catch (error) {
            failed.add(key);
            failures.push(`pg-deep: ${contender}, ${workers} worker(s): ${error.message.split('\n')[0]}`);
            log(`  round ${round + 1}/${rounds}  ${workers}w  ${contender.padEnd(26)} FAILED: ${error.message}`);
          }
        }
      }
    }
  } finally {
    await db.drop().catch((error) => log(`  bench pg-deep: dropping the bench database: ${error.message}`));
  }
  const med = (c, n, field) => (failed.has(`${c}|${n}`) || !results.has(`${c}|${n}`) ? undefined : median(results.get(`${c}|${n}`).map((m) => m[field])));
  const rate = (c, n) => med(c, n, 'rate');
  const rows = DEEP.map((c) => [
    c,
    ...WORKERS.map((n) => (rate(c, n) === undefined ? 'FAIL' : fmtRate(rate(c, n)))),
    ...WORKERS.map((n) => (c.startsWith('baton') ? '-' : ratio(rate('baton', n), rate(c, n)))),
    ...WORKERS.map((n) => (med(c, n, 'workerUs') === undefined ? 'FAIL' : `${Math.round(med(c, n, 'workerUs'))} + ${Math.round(med(c, n, 'otherUs'))}`)),
  ]);
  const tenfold = WORKERS.map((n) => ratio(rate('baton (default)', n), rate('graphile-worker (default)', n)));
  const jobs = (SHAPE.runs * SHAPE.steps).toLocaleString('en');
  return [
    `### PostgreSQL workers, a deeper backlog: ${jobs} no-op jobs waiting (baton: ${SHAPE.runs} runs x ${SHAPE.steps.toLocaleString('en')} steps), median of ${rounds} interleaved round${rounds > 1 ? 's' : ''}\n\n` +
      `${version}; the contenders as in the PostgreSQL section (pg-boss left out). jobs/s by worker processes, baton ÷ peer (higher is better for baton), ` +
      `and CPU per job in µs (the worker processes + the rest of the machine).\n\n` +
      table(['contender', ...WORKERS.map((n) => `>${n}w`), ...WORKERS.map((n) => `>baton ÷ peer (${n}w)`), ...WORKERS.map((n) => `>CPU µs (${n}w)`)], rows) +
      `\n\nbaton (default) ÷ graphile-worker (default), 1 / 2 / 4 workers: ${tenfold.join(' / ')}`,
  ];
}
