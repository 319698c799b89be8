/**
 * @module cli/commands/cancel
 * `baton cancel RUN`: a run still driven by a live process on this machine is
 * cancelled by that process (it gets SIGINT, as with Ctrl-C, and ends its
 * process groups); a run whose process is gone is marked cancelled directly.
 */
import { isFinalRun } from '../../core/states.js';
import { COMMON_OPTIONS, help, onePositional, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore, resolveRunId } from '../home.js';
import { liveOwnerPid } from '../owner.js';

const SYNOPSIS = 'baton cancel RUN [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Cancels a run: its running tasks are stopped (process group killed) and it is recorded cancelled.');
  const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
  try {
    const runId = await resolveRunId(store, onePositional(positionals, 'run id', SYNOPSIS));
    const run = await store.getRun(runId);
    if (!run || isFinalRun(run.status)) throw new UsageError(`run ${runId} has already ${run?.status ?? 'ended'}`);
    // A run a worker executes (it holds a run lease) is cancelled in the store; the worker learns it.
    const pid = run.leaseUntil === null ? liveOwnerPid(run.owner) : undefined;
    if (pid !== undefined) {
      process.kill(pid, 'SIGINT');
      await waitForExit(pid, 30_000);
    } else {
      await store.cancelSteps(runId, 'cancelled by user');
      await store.setRunStatus(runId, ['queued', 'running', 'waiting', 'compensating'], 'cancelled', { error: 'cancelled by user' });
    }
    const after = await store.getRun(runId);
    process.stdout.write(`run ${runId} ${after?.status ?? 'cancelled'}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** Wait for another process to exit: there is no event for that across processes, so check every 50 ms. */
async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new UsageError(`process ${pid} did not stop within ${timeoutMs / 1000}s`);
}
