// The child process of a measurement (spawned by bench/code/measure.mjs, or
// run by hand): one scenario, one contender, one durability; prints one JSON
// line with the timings and CPU time of the timed part.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBaton } from './baton.mjs';
import { BENCH, CHAIN_STEPS, FANOUT_WIDTH, SCENARIOS, THROUGHPUT_SHAPE, removeDb } from './common.mjs';
import { runRaw } from './raw.mjs';

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
  const [scenario, contender, durability] = positionals;
  if (!SCENARIOS.includes(scenario) || !['baton', 'raw'].includes(contender) || !['full', 'normal'].includes(durability)) {
    process.stderr.write('usage: node bench/code/child.mjs chain|throughput|fanout baton|raw full|normal [--steps N] [--shape RxBxS] [--db PATH] [--keep]\n');
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

child(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
