/**
 * @module spec/load-code
 * Load workflows written as code: a TypeScript or JavaScript module is
 * imported as it is (TypeScript through tsx, no build step for the user);
 * its default export, or else its only exported workflow, is the one to run.
 * Also the engine's `load` hook: a child or a resumed run names a module or
 * a workflow file by path.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatonError, formatProblem } from '../core/errors.js';
import type { WorkflowDef } from '../core/model.js';
import { isCodeWorkflow, type CodeWorkflow, type StepContext } from '../core/workflow-code.js';

const CODE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

export function isCodeFile(file: string): boolean {
  return CODE.test(file);
}

export async function importModule(file: string): Promise<Record<string, unknown>> {
  const path = resolve(file);
  try {
    if (/\.(ts|mts|cts|tsx)$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(path)) {
      throw new BatonError('NOT_FOUND', `no such file: ${file}`);
    }
    throw new BatonError('INVALID_WORKFLOW', `${file}: the module failed to load: ${(error as Error).message}`, { cause: error });
  }
}

/** The workflow a module defines: its default export, or its only exported workflow. */
export async function loadCodeWorkflow(file: string, name?: string): Promise<CodeWorkflow<never, unknown>> {
  const mod = await importModule(file);
  const found = Object.entries(mod).filter(([, v]) => isCodeWorkflow(v)) as Array<[string, CodeWorkflow<never, unknown>]>;
  if (name) {
    const hit = found.find(([, wf]) => wf.name === name);
    if (hit) return hit[1];
  }
  const def = mod.default;
  if (isCodeWorkflow(def)) return def;
  if (found.length === 1) return (found[0] as [string, CodeWorkflow<never, unknown>])[1];
  if (found.length === 0) {
    throw new BatonError('INVALID_WORKFLOW', `${file}: exports no workflow (export default defineWorkflow('name', async (ctx, input) => { ... }))`);
  }
  throw new BatonError('INVALID_WORKFLOW', `${file}: exports ${found.length} workflows (${found.map(([k]) => k).join(', ')}) and no default; export the one to run as default`);
}

const CANDIDATES = ['.ts', '.mts', '.js', '.mjs', '.yaml', '.yml', '.json'];

/**
 * The engine's `load` hook: a code module or a workflow file, by path
 * relative to `from`, or by name: `order` is `order.ts` (or .yaml, ...) in
 * `from` or in `from/workflows`.
 */
export async function loadWorkflowRef(ref: string, from: string): Promise<WorkflowDef | CodeWorkflow<never, unknown>> {
  let path = resolve(from, ref);
  if (!ref.includes('/') && !existsSync(path)) {
    const found = ['', 'workflows/'].flatMap((dir) => CANDIDATES.map((ext) => resolve(from, dir + ref + ext))).find((p) => existsSync(p));
    if (!found) throw new BatonError('NOT_FOUND', `no workflow "${ref}": looked for ${ref}{${CANDIDATES.join(',')}} in ${from} and ${from}/workflows`);
    path = found;
  }
  if (isCodeFile(path)) return loadCodeWorkflow(path);
  const { loadWorkflowFile } = await import('./index.js');
  const loaded = await loadWorkflowFile(path);
  if (!loaded.ok) throw new BatonError('INVALID_WORKFLOW', loaded.problems.map(formatProblem).join('\n'));
  return loaded.workflow;
}

/** The engine's `loadFunction` hook: `./tasks/send.ts#send` (default export without `#name`). */
type TaskFunction = (input: unknown, ctx: StepContext) => unknown;
/** Functions found, by file and name: a module is loaded once per process anyway, and a step need not resolve it again. */
const functions = new Map<string, Promise<TaskFunction>>();

export function loadFunctionRef(ref: string, from: string): Promise<TaskFunction> {
  // Keyed by the reference as written and where from: no path resolved per step.
  const key = `${from}\0${ref}`;
  let found = functions.get(key);
  if (!found) {
    const hash = ref.lastIndexOf('#');
    const file = hash < 0 ? ref : ref.slice(0, hash);
    found = findFunction(file, from, hash < 0 ? 'default' : ref.slice(hash + 1));
    functions.set(key, found);
    found.catch(() => functions.delete(key));
  }
  return found;
}

async function findFunction(file: string, from: string, name: string): Promise<TaskFunction> {
  const mod = await importModule(resolve(from, file));
  const fn = mod[name];
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new BatonError('NOT_FOUND', `${file} has no exported function "${name}"${exported.length ? ` (it exports ${exported.join(', ')})` : ''}`);
  }
  return fn as TaskFunction;
}
