/**
 * @module cli/inputs
 * `--input k=v` (repeatable) or `--input '{"k": ...}'`, and secrets read from
 * the environment by the names the workflow declares.
 */
import type { WorkflowDef } from '../core/model.js';
import { UsageError } from './exit.js';

export function parseInputFlags(values: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {};
  for (const v of values) {
    if (v.trimStart().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(v);
      } catch (error) {
        throw new UsageError(`--input ${v}: not valid JSON (${(error as Error).message})`);
      }
      for (const [k, val] of Object.entries(obj as Record<string, unknown>)) given[k] = typeof val === 'string' ? val : JSON.stringify(val);
      continue;
    }
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input ${JSON.stringify(v)}: expected name=value or a JSON object`);
    given[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return given;
}

export function readSecrets(def: WorkflowDef, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of def.secrets) {
    const value = env[name];
    if (value === undefined) missing.push(name);
    else secrets[name] = value;
  }
  if (missing.length > 0) {
    throw new UsageError(`secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not set: workflow "${def.name}" reads ${missing.length > 1 ? 'them' : 'it'} from the environment`);
  }
  return secrets;
}
