// The section's tables and targets, from the results of every round, and the
// one-line summary of a measurement that the rounds log.
import { CHAIN_STEPS, CONTENDERS, FANOUT_WIDTH, THROUGHPUT_SHAPE } from './common.mjs';

const TARGETS = [
  // [label, scenario, durability, metric, op, limit, format]
  ['full: chain p50 <= 0.95 ms', 'chain', 'full', 'p50', '<=', 0.95, (v) => `${v.toFixed(3)} ms`],
  ['full: chain p99 <= 7 ms', 'chain', 'full', 'p99', '<=', 7, (v) => `${v.toFixed(3)} ms`],
  ['full: throughput >= 35,000 steps/s', 'throughput', 'full', 'stepsPerSec', '>=', 35_000, (v) => `${Math.round(v).toLocaleString('en')} steps/s`],
  ['full: fan-out <= 250 ms', 'fanout', 'full', 'ms', '<=', 250, (v) => `${v.toFixed(1)} ms`],
  ['normal: chain p50 <= 0.37 ms', 'chain', 'normal', 'p50', '<=', 0.37, (v) => `${v.toFixed(3)} ms`],
];

/**
 * The section's markdown blocks: `results` maps
 * `${scenario}|${contender}|${durability}` to the rounds' results.
 */
export function report({ results, rounds, median, table }) {
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

export function describe(scenario, r) {
  const cpu = `cpu ${r.cpuMs.toFixed(1)} ms`;
  if (scenario === 'chain') return `p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  (${r.ms.toFixed(1)} ms, ${cpu})`;
  if (scenario === 'throughput') return `${Math.round(r.stepsPerSec).toLocaleString('en')} steps/s  (${r.ms.toFixed(1)} ms, ${cpu})`;
  return `${r.ms.toFixed(1)} ms  (${cpu})`;
}
