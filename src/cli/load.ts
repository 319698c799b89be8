/**
 * @module cli/load
 * Load a workflow file, or print its problems (`file:line:col: message`) to
 * stderr and return nothing.
 */
import type { WorkflowDef } from '../core/model.js';
import { formatProblem } from '../core/errors.js';

export async function loadOrReport(file: string): Promise<WorkflowDef | undefined> {
  const { loadWorkflowFile } = await import('../spec/loader.js');
  const result = await loadWorkflowFile(file);
  if (result.ok) return result.workflow;
  for (const p of result.problems) process.stderr.write(formatProblem(p) + '\n');
  const n = result.problems.length;
  process.stderr.write(`${n} problem${n === 1 ? '' : 's'} in ${file}\n`);
  return undefined;
}
