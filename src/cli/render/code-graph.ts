/**
 * @module cli/render/code-graph
 * A code run has no graph before it runs: its graph is the steps it took.
 * Steps started before every step of the stage before them had finished ran
 * in parallel (Promise.all); each stage depends on the one before.
 */
import { DEFAULT_RETRY, type TaskDef, type WorkflowDef } from '../../core/model.js';
import type { StepRow } from '../../store/store.js';

export function takenGraph(name: string, steps: readonly StepRow[]): WorkflowDef {
  const taken = steps.filter((s) => s.kind !== 'value' && s.startedAt !== null).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
  const tasks: TaskDef[] = [];
  let previous: string[] = [];
  let stage: string[] = [];
  let stageEnd = -Infinity;
  for (const s of taken) {
    const started = s.startedAt ?? 0;
    if (stage.length > 0 && started >= stageEnd) {
      previous = stage;
      stage = [];
      stageEnd = -Infinity;
    }
    stage.push(s.id);
    stageEnd = Math.max(stageEnd, s.finishedAt ?? Infinity);
    tasks.push({ id: s.id, dependsOn: previous, retry: { ...DEFAULT_RETRY, attempts: Math.max(1, s.attempt) }, env: {} });
  }
  return { name, inputs: {}, env: {}, secrets: [], failFast: false, tasks };
}
