/**
 * @module cli/commands/signal
 * `baton signal RUN NAME [JSON]`: queue a signal for a code run. The process
 * driving the run (if one lives) sees it at once; otherwise the run takes it
 * when resumed. Either way a waitForSignal takes it exactly once.
 */
import { isFinalRun } from '../../core/states.js';
import { isCodeRef } from '../../core/workflow-code.js';
import { COMMON_OPTIONS, help, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore, resolveRunId } from '../home.js';
import { liveOwnerPid } from '../owner.js';

const SYNOPSIS = 'baton signal RUN NAME [JSON] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS }, SYNOPSIS);
  if (values.help) {
    return help(SYNOPSIS, `
Sends the signal NAME to a code run, with an optional JSON payload (default null).
ctx.waitForSignal(NAME) in the run receives it, now or when it gets there.`);
  }
  if (positionals.length < 2 || positionals.length > 3) throw new UsageError(`expected a run id, a signal name and an optional JSON payload\nusage: ${SYNOPSIS}`);
  const [given, name, json] = positionals as [string, string, string | undefined];
  let payload: unknown = null;
  if (json !== undefined) {
    try {
      payload = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`the payload is not JSON: ${(error as Error).message} (a string needs quotes: '"yes"')`);
    }
  }
  const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
  try {
    const runId = await resolveRunId(store, given);
    const run = await store.getRun(runId);
    if (!run) throw new UsageError(`no run ${runId}`);
    if (!isCodeRef(run.definition)) throw new UsageError(`run ${runId} is of a file workflow; only code workflows take signals`);
    if (isFinalRun(run.status)) throw new UsageError(`run ${runId} has already ${run.status}; it takes no more signals`);
    await store.sendSignal(runId, name, JSON.stringify(payload));
    const live = liveOwnerPid(run.owner) !== undefined;
    process.stdout.write(`signal ${name} sent to run ${runId}${live ? '' : ` (no process runs it now; it takes the signal on "baton resume ${runId}")`}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
