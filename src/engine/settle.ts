/**
 * @module engine/settle
 * What happens when no step of a file run is open any more: it succeeded; or,
 * after a failure or a run timeout, the rollbacks of its succeeded tasks are
 * added (reverse completion order) and the run goes on compensating; or, when
 * those are done, it takes its final status. Shared by the run driver (one
 * run in this process) and workers (any run): every change is guarded, so
 * when two processes settle the same run, one wins and the other learns.
 */
import type { RunStatus } from '../core/states.js';
import type { Store } from '../store/store.js';

export type Ending = { kind: 'cancelled' | 'timed_out' | 'failed'; reason: string };

export type Settled = { status: RunStatus; error: string | null } | { status: undefined; rollbacks: number } | { status: undefined; lost: true };

export async function settleRun(store: Store, runId: string, rollbackTasks: ReadonlySet<string>, ending: Ending | undefined): Promise<Settled> {
  const run = await store.settleFacts(runId);
  if (!run) throw new Error(`run ${runId} disappeared from the store`);
  const finish = async (from: RunStatus[], to: RunStatus, error: string | null): Promise<Settled> =>
    (await store.setRunStatus(runId, from, to, { error })) ? { status: to, error } : { status: undefined, lost: true };
  if (ending?.kind === 'cancelled') return finish(['running', 'compensating'], 'cancelled', ending.reason);
  if (run.status === 'compensating') return finish(['compensating'], run.thenStatus ?? 'failed', run.error);
  if (run.status !== 'running') return { status: undefined, lost: true };
  const failed = run.failedTasks;
  if (failed.length === 0 && ending === undefined) return finish(['running'], 'succeeded', null);
  const then: RunStatus = ending?.kind === 'timed_out' ? 'timed_out' : 'failed';
  const error = ending?.reason ?? `task${failed.length > 1 ? 's' : ''} ${failed.join(', ')} failed`;
  // Every step is read only here, when there may be rollbacks to add.
  const steps = rollbackTasks.size > 0 ? await store.getSteps(runId) : [];
  const targets = steps
    .filter((s) => s.kind === 'task' && s.status === 'succeeded' && rollbackTasks.has(s.id))
    .sort((a, b) => (b.completedSeq ?? 0) - (a.completedSeq ?? 0))
    .map((s) => s.id);
  if (targets.length === 0) return finish(['running'], then, error);
  if (!(await store.setRunStatus(runId, ['running'], 'compensating', { error, thenStatus: then }))) return { status: undefined, lost: true };
  await store.addRollbacks(runId, targets);
  return { status: undefined, rollbacks: targets.length };
}
