/**
 * @module cli/commands/retry
 * `baton retry RUN`: re-run from failure. The tasks that failed, were skipped
 * because of them, were cancelled or were rolled back run again; successes
 * are kept.
 */
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from '../args.js';
import { follow } from '../follow.js';
import { buildEngine, homeDir, openStore, startSpawner, resolveRunId } from '../home.js';
import { readSecrets } from '../inputs.js';

const SYNOPSIS = 'baton retry RUN [--concurrency N] [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, concurrency: { type: 'string', short: 'c' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Re-runs the tasks of a finished run that did not succeed, and what they had skipped.');
  const given = onePositional(positionals, 'run id', SYNOPSIS);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const home = homeDir(values.home);
  const spawner = startSpawner();
  const store = await openStore(home, { mustExist: true });
  const runId = await resolveRunId(store, given);
  const run = await store.getRun(runId);
  const secrets = run ? readSecrets(run.definition) : {};
  const { engine, close } = await buildEngine(store, home, await spawner);
  return follow(engine, store, () => engine.retry(runId, { secrets, ...(concurrency ? { concurrency } : {}) }), { json: values.json }).finally(close);
}
