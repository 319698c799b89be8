/**
 * @module cli/continue-run
 * What `resume` and `retry` share: find the run, refuse if a live process
 * still drives it, read its secrets again from the environment (they are
 * never stored), and follow it like `run`.
 */
import { isCodeRef } from '../core/workflow-code.js';
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from './args.js';
import { UsageError } from './exit.js';
import { follow } from './follow.js';
import { buildEngine, homeDir, openStore, resolveRunId, startSpawner } from './home.js';
import { readSecrets } from './inputs.js';
import { liveOwnerPid } from './owner.js';

export async function continueRun(argv: string[], mode: 'resume' | 'retry', synopsis: string, details: string): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, concurrency: { type: 'string', short: 'c' } }, synopsis);
  if (values.help) return help(synopsis, details);
  const given = onePositional(positionals, 'run id', synopsis);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const home = homeDir(values.home);
  const spawner = startSpawner();
  const store = await openStore(home, { mustExist: true, db: values.db });
  let secrets: Record<string, string>;
  let runId: string;
  try {
    runId = await resolveRunId(store, given);
    const run = await store.getRun(runId);
    const pid = liveOwnerPid(run?.owner ?? null);
    if (pid !== undefined) throw new UsageError(`run ${runId} is still being run by process ${pid}; stop it first (or "baton cancel ${runId}")`);
    secrets = run && !isCodeRef(run.definition) ? readSecrets(run.definition) : {};
  } catch (error) {
    (await spawner).close();
    await store.close();
    throw error;
  }
  const { engine, close } = await buildEngine(store, home, await spawner);
  const options = { secrets, ...(concurrency ? { concurrency } : {}) };
  return follow(engine, store, () => (mode === 'resume' ? engine.resume(runId, options) : engine.retry(runId, options)), { json: values.json }).finally(close);
}
