/**
 * @module cli/commands/worker
 * `baton worker --db URL`: execute ready steps of any file run in the shared
 * store, beside other workers on any machine, until SIGINT or SIGTERM (then
 * the steps in hand finish; a second signal stops at once).
 */
import { parseDuration } from '../../core/duration.js';
import type { WorkflowDef } from '../../core/model.js';
import { WORKER_DEFAULTS, Worker } from '../../engine/worker.js';
import { COMMON_OPTIONS, help, parse, positiveInt, wholeNumber } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { buildEngine, homeDir, openStore, startSpawner } from '../home.js';
import { packageVersion } from '../version.js';

const SYNOPSIS = 'baton worker [--db URL] [--concurrency N] [--claim-ahead N] [--claim-ahead-ttl 250ms] [--lease 30s] [--heartbeat 10s] [--sweep 5s]';

function ms(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseDuration(value);
  if (n === undefined || n < 100) throw new UsageError(`${flag} must be a duration of at least 100ms (like 30s), got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      concurrency: { type: 'string', short: 'c' },
      'claim-ahead': { type: 'string' },
      'claim-ahead-ttl': { type: 'string' },
      lease: { type: 'string' },
      heartbeat: { type: 'string' },
      sweep: { type: 'string' },
    },
    SYNOPSIS,
  );
  if (values.help) {
    return help(SYNOPSIS, `
Executes ready steps of any run in the store (--db postgres://... or BATON_DB; else the
embedded store under --home), next to any number of other workers. A worker that dies
loses its leases: after --lease plus --sweep, another worker runs its steps again.
Runs are submitted with "baton run FILE --db URL --detach" (or followed without --detach).

  -c, --concurrency N   steps at once (default ${WORKER_DEFAULTS.concurrency})
      --claim-ahead N   at most N steps claimed beyond --concurrency, waiting here for a slot
                        (default ${WORKER_DEFAULTS.claimAhead}). Only steps shorter than a round trip to the store
                        are claimed ahead, about what the slots finish during one; 0: never
      --claim-ahead-ttl D
                        a step claimed ahead that waits this long for a slot (the slots took
                        long steps) goes back to the store for any worker (default 250ms)
      --lease D         how long a claim holds without a heartbeat (default 30s)
      --heartbeat D     how often leases are extended (default a third of --lease)
      --sweep D         how often expired leases are returned to ready (default 5s)`);
  }
  const concurrency = positiveInt(values.concurrency, '--concurrency') ?? WORKER_DEFAULTS.concurrency;
  const claimAhead = wholeNumber(values['claim-ahead'], '--claim-ahead') ?? WORKER_DEFAULTS.claimAhead;
  const claimAheadTtlMs = ms(values['claim-ahead-ttl'], '--claim-ahead-ttl') ?? WORKER_DEFAULTS.claimAheadTtlMs;
  const leaseMs = ms(values.lease, '--lease') ?? WORKER_DEFAULTS.leaseMs;
  const heartbeatMs = ms(values.heartbeat, '--heartbeat') ?? Math.max(100, Math.floor(leaseMs / 3));
  const sweepMs = ms(values.sweep, '--sweep') ?? WORKER_DEFAULTS.sweepMs;
  if (heartbeatMs >= leaseMs) throw new UsageError(`--heartbeat (${heartbeatMs}ms) must be shorter than --lease (${leaseMs}ms)`);
  const home = homeDir(values.home);
  const spawner = startSpawner();
  const store = await openStore(home, { db: values.db }).catch(async (error: unknown) => {
    (await spawner).close();
    throw error;
  });
  const { engine, close } = await buildEngine(store, home, await spawner);
  const owner = engine.owner;
  engine.on('step:finished', (e) => process.stdout.write(`${e.runId} ${e.stepId} ${e.status}${e.error ? `: ${e.error}` : ''}\n`));
  engine.on('run:finished', (e) => process.stdout.write(`${e.runId} run ${e.status}\n`));
  const worker = new Worker(engine, {
    concurrency,
    claimAhead,
    claimAheadTtlMs,
    leaseMs,
    heartbeatMs,
    sweepMs,
    secretsFor: (def: WorkflowDef) => Object.fromEntries(def.secrets.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name] as string]] : []))),
    onWarning: (m) => process.stderr.write(`baton worker: ${m}\n`),
    identity: { version: packageVersion() },
  });
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`baton worker: stopping after the ${worker.busy} step(s) in hand (again to stop now)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stderr.write(`baton worker ${owner}: ${concurrency} at once (up to ${claimAhead} claimed ahead), lease ${leaseMs}ms\n`);
  try {
    await worker.run(stop.signal);
    return EXIT.ok;
  } finally {
    close();
    await store.close();
  }
}
