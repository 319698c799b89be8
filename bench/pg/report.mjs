// The section's tables and targets, from the metrics of every round.
import { loadPeers } from './adapters.mjs';
import { BATON, CHAIN, CONTENDERS, FLOOR, SHAPE, WIDTH, WORKERS } from './common.mjs';
import { batonVersion } from './setup.mjs';

export const fmtRate = (v) => `${Math.round(v).toLocaleString('en')}/s`;
export const fmtMs = (v) => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
export const ratio = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}`);

/**
 * The section's markdown: `results` maps `${contender}|${scenario}|${workers}`
 * to the rounds' metrics; `failed` holds the keys of cells that failed.
 */
export async function report({ results, failed, rounds, median, table, versions, dbVersion, redis, batonAtStart, log }) {
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
    `${batonAtStart}, PostgreSQL ${dbVersion} (stock settings), Redis ${redis}; ${v('graphile-worker')}, ${v('pg-boss')}, ${v('bullmq')} (ioredis ${versions.ioredis}).`,
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
}
