/**
 * @module cli/continue-run
 * What `resume` and `retry` share: find the run, refuse if a live process
 * still drives it, read its secrets again from the environment (they are
 * never stored), and follow it like `run`.
 */
import { isFinalRun } from '../core/states.js';
import { isCodeRef } from '../core/workflow-code.js';
import type { RunRow, Store } from '../store/store.js';
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from './args.js';
import { UsageError } from './exit.js';
import { follow } from './follow.js';
import { buildEngine, dbUrl, homeDir, openStore, resolveRunId, startSpawner } from './home.js';
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
    if (dbUrl(values.db) && run) {
      (await spawner).close();
      return await onWorkers(store, run, mode, values.json);
    }
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

/**
 * On a shared store, workers run the runs: retry hands the reset run back to
 * them (no owner); resume has nothing to do but follow (workers sweep what a
 * dead worker left). Either way, follow it from the store.
 */
async function onWorkers(store: Store, run: RunRow, mode: 'resume' | 'retry', json: boolean): Promise<number> {
  const { RemoteRun } = await import('./remote-run.js');
  if (mode === 'retry') {
    if (!isFinalRun(run.status)) throw new UsageError(`run ${run.id} is still ${run.status}; workers are on it`);
    if (run.status === 'succeeded') throw new UsageError(`run ${run.id} succeeded; there is nothing to retry`);
  } else if (isFinalRun(run.status)) {
    throw new UsageError(`run ${run.id} has already ${run.status}; use "baton retry" to re-run what failed`);
  }
  const remote = new RemoteRun(store, run.id);
  return follow(
    remote,
    store,
    async () => {
      await remote.skipHistory();
      if (mode === 'retry') await store.resetForRetry(run.id, null);
      return remote.start();
    },
    { json },
  );
}
