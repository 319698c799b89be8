/**
 * @module engine/run-shape
 * What a new run of a file workflow is made of in the store: its steps
 * (with their pools and priorities), its concurrency gates (the key
 * rendered from its inputs) and its priority. One function, so a run
 * started here and one submitted for workers queue the same way.
 */
import type { ExpressionHost } from '../core/expressions.js';
import { runGates } from '../core/flow.js';
import type { WorkflowDef } from '../core/model.js';
import type { NewRun } from '../store/store.js';

export function fileRunShape(def: WorkflowDef, input: Record<string, unknown>, expr: ExpressionHost, maxRuns?: number): Pick<NewRun, 'steps' | 'gates' | 'priority'> {
  const key = def.runConcurrency?.key;
  const keyValue = key === undefined ? undefined : expr.renderTemplate(key, { inputs: input, env: {}, secrets: {}, tasks: {} }, 'raw');
  const gates = runGates(def.name, def.runConcurrency, keyValue, maxRuns);
  const shape: Pick<NewRun, 'steps' | 'gates' | 'priority'> = {
    steps: def.tasks.map((t) => {
      const step: NewRun['steps'][number] = { id: t.id, dependsOn: t.dependsOn };
      if (t.pool !== undefined) return { ...step, pool: t.pool, ...(t.priority !== undefined ? { priority: t.priority } : {}) };
      return step;
    }),
  };
  if (gates.length > 0) shape.gates = gates;
  if (def.priority !== undefined) shape.priority = def.priority;
  return shape;
}
