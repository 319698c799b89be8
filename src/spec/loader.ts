/**
 * @module spec/loader
 * Workflow files to the core model: read, parse, check, compile. Never throws
 * for bad input: every problem comes back at once, each with `file:line:col`
 * and what was expected. Positions are computed only when there are problems.
 */

import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { Problem } from '../core/errors.js';
import type { WorkflowDef } from '../core/model.js';
import type { TriggersDef } from '../core/schedule.js';
import type { Issue } from './issues.js';
import { parseSource, type Parsed } from './parse-source.js';
import { LineIndex, offsetOf, type Path } from './source-map.js';
import { checkWorkflow } from './validate-workflow.js';
import { loadExpressions } from './load-expressions.js';

export type LoadResult =
  | {
      ok: true;
      workflow: WorkflowDef;
      /** The file's `on:` block (schedules), for the server. */
      triggers?: TriggersDef;
    }
  | { ok: false; problems: Problem[] };

/**
 * A workflow from text; `file` names it in problems (as the user typed it) and
 * gives the default name. A document with expressions needs the expression
 * language loaded (spec/index.ts loads it; loadWorkflowFile loads it when needed).
 */
export function loadWorkflowText(text: string, file: string): LoadResult {
  const result = loadText(text, file);
  if (result === NEEDS_EXPRESSIONS) throw new Error('internal error: loadWorkflowText needs the expression language: import spec/index.js, or await loadExpressions() first');
  return result;
}

const NEEDS_EXPRESSIONS = Symbol('needs expressions');

function loadText(text: string, file: string): LoadResult | typeof NEEDS_EXPRESSIONS {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const outcome = parseSource(body, file);
  if (!outcome.ok) {
    const lines = new LineIndex(body);
    return { ok: false, problems: outcome.problems.map((p) => ({ file, ...lines.at(p.offset), message: p.message })) };
  }
  const parsed = outcome.parsed;
  const checked = checkWorkflow(parsed.value, basename(file, extname(file)));
  if (checked.needsExpressions) return NEEDS_EXPRESSIONS;
  const issues = [...duplicateKeyIssues(parsed), ...checked.issues];
  if (issues.length === 0 && checked.workflow) {
    return checked.triggers ? { ok: true, workflow: checked.workflow, triggers: checked.triggers } : { ok: true, workflow: checked.workflow };
  }
  return { ok: false, problems: place(issues, body, file, parsed) };
}

/** A workflow from a file; `workflow.source` is its absolute path. A file that cannot be read is a problem at 1:1. */
export async function loadWorkflowFile(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ file: path, line: 1, col: 1, message: `cannot read the file: ${readError(error)}` }] };
  }
  let result = loadText(text, path);
  if (result === NEEDS_EXPRESSIONS) {
    await loadExpressions();
    result = loadWorkflowText(text, path);
  }
  if (result.ok) result.workflow.source = resolve(path);
  return result;
}

function readError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

function duplicateKeyIssues(parsed: Parsed): Issue[] {
  return parsed.duplicateKeys().map(({ path, key, at }) => ({
    path: [...path, key],
    at: 'key',
    offset: at,
    message: path.length === 1 && path[0] === 'tasks' ? `duplicate task id "${key}"` : `duplicate key "${key}"`,
  }));
}

/** Issues to problems: each path placed in the text, sorted by position. */
function place(issues: readonly Issue[], text: string, file: string, parsed: Parsed): Problem[] {
  const shadow = parsed.shadow();
  const lines = new LineIndex(text);
  const offset = (path: Path, at: 'key' | 'value', inString?: number): number =>
    shadow ? offsetOf(text, shadow, path, at, valueAt(parsed.value, path), inString) : 0;
  const problems = issues.map((issue) => {
    const where = lines.at(issue.offset ?? offset(issue.path, issue.at, issue.inString));
    const first = issue.firstAt && ` (first defined at line ${lines.at(offset(issue.firstAt, 'value')).line})`;
    return { file, line: where.line, col: where.col, message: issue.message + (first ?? '') };
  });
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
