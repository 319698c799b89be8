/**
 * @module cli/commands/resume
 * `baton resume RUN`: finish a run whose process died. Steps that succeeded
 * never run again; steps that were running get a new attempt, the lost one
 * recorded as crashed.
 */
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from '../args.js';
import { UsageError } from '../exit.js';
import { follow } from '../follow.js';
import { buildEngine, homeDir, openStore, startSpawner, resolveRunId } from '../home.js';
import { readSecrets } from '../inputs.js';
import { liveOwnerPid } from '../owner.js';

const SYNOPSIS = 'baton resume RUN [--concurrency N] [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, concurrency: { type: 'string', short: 'c' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Finishes a run whose "baton run" process died (crash, kill -9, power loss).');
  const given = onePositional(positionals, 'run id', SYNOPSIS);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const home = homeDir(values.home);
  const spawner = startSpawner();
  const store = await openStore(home, { mustExist: true });
  const runId = await resolveRunId(store, given);
  const run = await store.getRun(runId);
  const pid = liveOwnerPid(run?.owner ?? null);
  if (pid !== undefined) {
    await store.close();
    throw new UsageError(`run ${runId} is still being run by process ${pid}; stop it first (or "baton cancel ${runId}")`);
  }
  const secrets = run ? readSecrets(run.definition) : {};
  const { engine, close } = await buildEngine(store, home, await spawner);
  return follow(engine, store, () => engine.resume(runId, { secrets, ...(concurrency ? { concurrency } : {}) }), { json: values.json }).finally(close);
}
