/**
 * @module cli/render/run-report
 * The object `baton show RUN --json` and `baton run --json` print: the run
 * with its steps and their attempts, times as ISO strings; and the summary
 * `baton run` prints at the end.
 */
import { isCodeRef } from '../../core/workflow-code.js';
import type { AttemptRow, RunRow, StepRow, Store } from '../../store/store.js';

export interface StepReport {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  dependsOn: string[];
  outputs: Record<string, string>;
  /** Code steps: the journaled result. */
  result?: unknown;
  history: Array<{ attempt: number; status: string; exitCode: number | null; startedAt: string; finishedAt: string | null; error: string | null }>;
}

export interface RunReport {
  id: string;
  workflow: string;
  status: string;
  runAttempt: number;
  kind: 'file' | 'code';
  input: unknown;
  /** Code runs: the function's result, and the status it set (ctx.setStatus). */
  result?: unknown;
  userStatus?: unknown;
  parentId: string | null;
  /** Code runs waiting for time: when they are due. */
  wakeAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  source: string | null;
  steps: StepReport[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function runReport(store: Store, runId: string): Promise<RunReport | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const [steps, attempts, detail] = await Promise.all([store.getSteps(runId), store.getAttempts(runId), store.getRunDetail(runId)]);
  return toReport(run, steps, attempts, detail);
}

/** What `baton run` prints when a run ends: the run and its steps' statuses (no attempts, so cheaper than runReport). */
export interface RunSummary {
  id: string;
  durationMs: number | null;
  error: string | null;
  steps: Array<{ id: string; status: string }>;
}

export async function runSummary(store: Store, runId: string): Promise<RunSummary | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const steps = await store.getSteps(runId);
  return { id: run.id, durationMs: durationOf(run), error: run.error, steps: steps.map((s) => ({ id: s.id, status: s.status })) };
}

const durationOf = (run: RunRow): number | null => (run.startedAt !== null && run.finishedAt !== null ? run.finishedAt - run.startedAt : null);

const parsed = (text: string | null | undefined): unknown => (text === null || text === undefined ? undefined : JSON.parse(text));

export function toReport(run: RunRow, steps: StepRow[], attempts: AttemptRow[], detail?: { result: string | null; userStatus: string | null }): RunReport {
  const code = isCodeRef(run.definition);
  const byStep = new Map<string, AttemptRow[]>();
  for (const a of attempts) {
    const list = byStep.get(a.stepId) ?? [];
    list.push(a);
    byStep.set(a.stepId, list);
  }
  return {
    id: run.id,
    workflow: run.workflow,
    status: run.status,
    runAttempt: run.runAttempt,
    kind: code ? 'code' : 'file',
    input: run.input,
    ...(code ? { result: parsed(detail?.result), userStatus: parsed(detail?.userStatus) } : {}),
    parentId: run.parentId,
    wakeAt: iso(run.wakeAt),
    createdAt: new Date(run.createdAt).toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: durationOf(run),
    error: run.error,
    source: isCodeRef(run.definition) ? (run.definition.module ?? null) : (run.definition.source ?? null),
    steps: steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      status: s.status,
      attempts: s.attempt,
      exitCode: s.exitCode,
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
      durationMs: s.startedAt !== null && s.finishedAt !== null ? s.finishedAt - s.startedAt : null,
      error: s.error,
      dependsOn: s.dependsOn,
      outputs: s.outputs,
      ...(code && s.status === 'succeeded' ? { result: parsed(s.result) } : {}),
      history: (byStep.get(s.id) ?? []).map((a) => ({
        attempt: a.attempt,
        status: a.status,
        exitCode: a.exitCode,
        startedAt: new Date(a.startedAt).toISOString(),
        finishedAt: iso(a.finishedAt),
        error: a.error,
      })),
    })),
  };
}
