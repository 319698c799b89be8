/**
 * @module spec/validate-task
 * Checks one task of a workflow file and compiles it to a `TaskDef`: keys and
 * aliases, command or args, dependencies, retry policy (with the workflow's
 * `defaults`), timeout, condition, env. Hand-written rather than zod so that
 * 100,000 tasks check in milliseconds; expressions met on the way are noted
 * as sites, checked once the whole graph is known.
 */

import { DEFAULT_RETRY, type ChaosDef, type RetryPolicy, type TaskDef } from '../core/model.js';
import { describe, isMapping, type Issue, type Mapping, type Scope } from './issues.js';
import { BACKOFFS, CHAOS_KEYS, ENV_NAME_PATTERN, ID_PATTERN, JITTERS, PRIORITY_MAX, RETRY_KEYS, TASK_KEYS } from './format.js';
import type { Path, PathItem } from './source-map.js';
import { hasTemplate, scanTemplate } from './template.js';

/** A string holding expressions: an `if`, or a template in a command, env value, ... */
export interface ExprSite {
  /** Index of the task it belongs to; undefined at the workflow level (env, defaults). */
  task?: number;
  /** Where the string is: under `scope`, at `key`. */
  scope: Scope;
  key: PathItem;
  kind: 'if' | 'template';
  /** For 'if': the expression; for 'template': the whole string. */
  source: string;
  /** Where `source` starts inside the string value (an `if` written as `${{ ... }}`). */
  offset: number;
}

export interface Defaults {
  attempts?: number;
  retry: Partial<RetryPolicy>;
  timeoutMs?: number;
  env: Record<string, string>;
  envCount: number;
  cwd?: string;
  /** The workflow's `chaos:`, for tasks without their own. */
  chaos?: ChaosDef;
}

/** A checked task with what the graph checks need to place their problems. */
export interface TaskInfo {
  def: TaskDef;
  scope: Scope;
  /** Where the id is written: the `id` value, or the key in the map form. */
  idAt: 'key' | 'value';
  /** The dependency key as written and whether it held a list. */
  depKey?: string;
  depList: boolean;
  /** Dependencies as written, by position (null where an entry was not a string). */
  rawDeps: readonly (string | null)[];
}

export interface TaskChecks {
  issues: Issue[];
  sites: ExprSite[];
  defaults: Defaults;
  /** Retry policies shared by the tasks that set nothing of their own, by attempts. */
  sharedRetry: Map<number, RetryPolicy>;
}

export const INVALID_ID = 'use letters, digits, "_", "." and "-", starting with a letter or "_"';
const TEXT_KEYS = ['cwd', 'rollback', 'healthCheck'] as const;
const NO_DEPS: readonly string[] = Object.freeze([]);

export function idPath(info: TaskInfo): Path {
  return info.idAt === 'value' ? [...info.scope.path, 'id'] : info.scope.path;
}

/** Which of two names (canonical, seed alias) a value is given under; both given is a problem. */
function alias(task: Mapping, s: Scope, name: string, other: string): string | undefined {
  const hasName = task[name] !== undefined;
  if (task[other] !== undefined && hasName) s.report(other, `"${other}" is another name for "${name}": give only one`, 'key');
  return hasName ? name : task[other] !== undefined ? other : undefined;
}

export function noteTemplate(sites: ExprSite[], task: number | undefined, scope: Scope, key: PathItem, value: string): void {
  if (hasTemplate(value)) sites.push({ task, scope, key, kind: 'template', source: value, offset: 0 });
}

/** Check a task (`s` is its scope; `mapKey` its key in the map form) and compile it. */
export function checkTask(raw: unknown, s: Scope, mapKey: string | undefined, index: number, c: TaskChecks): TaskInfo | undefined {
  const task: unknown = raw === null && mapKey !== undefined ? {} : raw;
  const def: TaskDef = { id: mapKey ?? '', dependsOn: [], retry: DEFAULT_RETRY, env: {} };
  const info: TaskInfo = { def, scope: s, idAt: 'key', depList: false, rawDeps: NO_DEPS };
  if (!isMapping(task)) {
    s.report(undefined, `a task must be a mapping with "id" and "command", got ${describe(task)}`);
    return mapKey === undefined ? undefined : info;
  }
  s.unknownKeys(task, TASK_KEYS);
  if (mapKey !== undefined) {
    if (!ID_PATTERN.test(mapKey)) s.report(undefined, `task id "${mapKey}" is not valid: ${INVALID_ID}`, 'key');
    if (task.id !== undefined && task.id !== mapKey) {
      s.report('id', `"id" is ${describe(task.id)} but the task's key is "${mapKey}": remove "id" or make them equal`);
    }
  } else if (task.id === undefined) {
    s.report(undefined, 'a task needs an "id"');
    return undefined;
  } else {
    const id = s.string('id', task.id);
    if (id === undefined) return undefined;
    if (!ID_PATTERN.test(id)) s.report('id', `task id "${id}" is not valid: ${INVALID_ID}`);
    def.id = id;
    info.idAt = 'value';
  }

  if (task.name !== undefined) s.string('name', task.name);
  if (task.description !== undefined) s.string('description', task.description);

  const commandKey = alias(task, s, 'command', 'operation');
  if (commandKey) {
    const text = s.string(commandKey, task[commandKey], true);
    if (text !== undefined) {
      def.command = text;
      noteTemplate(c.sites, index, s, commandKey, text);
    }
  }
  if (task.args !== undefined) {
    const list = s.list('args', task.args);
    if (list && list.length === 0) s.report('args', '"args" must not be empty');
    if (list) {
      const a = s.child('args');
      def.args = list.map((v, i) => a.text(i, v) ?? '');
      def.args.forEach((text, i) => noteTemplate(c.sites, index, a, i, text));
    }
  }
  if (commandKey && task.args !== undefined) s.report('args', 'give "command" or "args", not both', 'key');
  const callKey = checkCall(task, s, def, index, c);
  if (callKey && (commandKey || task.args !== undefined)) s.report(callKey, `give "${commandKey ?? 'args'}" or "${callKey}", not both`, 'key');
  if (!commandKey && task.args === undefined && !callKey) s.report(undefined, `task "${def.id}" needs a "command" (or "args", "workflow" or "function")`);

  const depKey = alias(task, s, 'dependsOn', 'dependencies');
  if (depKey) checkDeps(depKey, task[depKey], s, info);

  let retries: number | undefined;
  if (task.retries !== undefined) {
    retries = s.whole('retries', task.retries, 0);
    if (isMapping(task.retry) && task.retry.attempts !== undefined) s.report('retries', 'give "retries" or "retry.attempts", not both', 'key');
  }
  if (task.retry === undefined) {
    const attempts = retries === undefined ? (c.defaults.attempts ?? DEFAULT_RETRY.attempts) : retries + 1;
    let shared = c.sharedRetry.get(attempts);
    if (!shared) c.sharedRetry.set(attempts, (shared = Object.freeze(mergeRetry(attempts, {}, c.defaults))));
    def.retry = shared;
  } else {
    const retry = checkRetry(task.retry, s);
    def.retry = mergeRetry(retries === undefined ? retry.attempts : retries + 1, retry, c.defaults);
  }

  const timeoutMs = task.timeout === undefined ? c.defaults.timeoutMs : s.duration('timeout', task.timeout);
  if (timeoutMs !== undefined) def.timeoutMs = timeoutMs;
  if (task.if !== undefined) checkCondition(task.if, s, index, c.sites, def);
  if (task.env !== undefined) def.env = { ...c.defaults.env, ...checkEnv(task.env, s, 'env', c.sites, index) };
  else if (c.defaults.envCount > 0) def.env = { ...c.defaults.env };
  const chaos = task.chaos === undefined ? c.defaults.chaos : checkChaos(task.chaos, s);
  if (chaos !== undefined) def.chaos = chaos;
  if (task.pool !== undefined) {
    const pool = s.string('pool', task.pool, true);
    if (pool !== undefined && !ID_PATTERN.test(pool)) s.report('pool', `pool name "${pool}" is not valid: ${INVALID_ID}`);
    else if (pool !== undefined) def.pool = pool;
  }
  if (task.priority !== undefined) {
    const priority = s.whole('priority', task.priority, -PRIORITY_MAX, PRIORITY_MAX);
    if (priority !== undefined) def.priority = priority;
  }
  for (const key of TEXT_KEYS) {
    const text = task[key] === undefined ? undefined : s.string(key, task[key], true);
    if (text !== undefined) noteTemplate(c.sites, index, s, key, text);
    const value = text ?? (key === 'cwd' ? c.defaults.cwd : undefined);
    if (value !== undefined) def[key] = value;
  }
  return info;
}

const FUNCTION_REF = /^[^#\s]+(#[A-Za-z_$][\w$]*)?$/;

/** `workflow:` (a code or file workflow, run as a child) or `function:` (an exported function), with its `input`. */
function checkCall(task: Mapping, s: Scope, def: TaskDef, index: number, c: TaskChecks): 'workflow' | 'function' | undefined {
  let key: 'workflow' | 'function' | undefined;
  if (task.workflow !== undefined) {
    const ref = s.string('workflow', task.workflow, true);
    if (ref !== undefined) def.workflow = ref;
    key = 'workflow';
  }
  if (task.function !== undefined) {
    if (key) s.report('function', 'give "workflow" or "function", not both', 'key');
    const ref = s.string('function', task.function, true);
    if (ref !== undefined && !FUNCTION_REF.test(ref)) s.report('function', `"function" must be a module path and an export: "./tasks/send.ts#send" (got "${ref}")`);
    else if (ref !== undefined) def.function = ref;
    key ??= 'function';
  }
  if (task.input !== undefined) {
    if (!key) s.report('input', '"input" goes with "workflow" or "function"', 'key');
    const m = s.mapping('input', task.input);
    if (m) {
      def.input = m;
      noteInputTemplates(m, s.child('input'), index, c.sites);
    }
  }
  return key;
}

function noteInputTemplates(value: Mapping | unknown[], s: Scope, index: number, sites: ExprSite[]): void {
  for (const [k, v] of Object.entries(value)) {
    const key = Array.isArray(value) ? Number(k) : k;
    if (typeof v === 'string') noteTemplate(sites, index, s, key, v);
    else if (v && typeof v === 'object') noteInputTemplates(v as Mapping, s.child(key), index, sites);
  }
}

function checkDeps(key: string, value: unknown, s: Scope, info: TaskInfo): void {
  info.depKey = key;
  if (typeof value === 'string') info.rawDeps = [value];
  else if (Array.isArray(value)) {
    info.depList = true;
    if (value.every((v) => typeof v === 'string')) info.rawDeps = value as string[];
    else {
      const d = s.child(key);
      info.rawDeps = value.map((v, i) => d.string(i, v) ?? null);
    }
  } else s.wrong(key, 'a task id or a list of task ids', value);
  info.def.dependsOn = unique(info.rawDeps);
}

/** The strings of a list, each once, in order; the list itself when it has no repeats and no nulls. */
function unique(list: readonly (string | null)[]): string[] {
  let clean = true;
  if (list.length > 16) clean = !list.includes(null) && new Set(list).size === list.length;
  else {
    for (let i = 0; i < list.length && clean; i++) {
      if (list[i] === null) clean = false;
      for (let j = 0; j < i && clean; j++) if (list[j] === list[i]) clean = false;
    }
  }
  if (clean) return list as string[];
  return [...new Set(list.filter((d): d is string => d !== null))];
}

function checkCondition(value: unknown, s: Scope, index: number, sites: ExprSite[], def: TaskDef): void {
  const text = typeof value === 'boolean' ? String(value) : s.string('if', value, true);
  if (text === undefined) return;
  let source = text;
  let offset = 0;
  // GitHub style `if: ${{ expr }}` is the same as `if: expr`
  const scan = hasTemplate(text) ? scanTemplate(text) : undefined;
  if (scan?.ok) {
    const exprs = scan.parts.filter((p) => p.kind === 'expression');
    const onlyOne = exprs.length === 1 && scan.parts.every((p) => p.kind === 'expression' || p.text.trim() === '');
    if (onlyOne && exprs[0]?.kind === 'expression') [source, offset] = [exprs[0].source, exprs[0].offset];
  }
  def.if = source.trim();
  sites.push({ task: index, scope: s, key: 'if', kind: 'if', source, offset });
}

export function checkRetry(value: unknown, s: Scope): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {};
  const m = s.mapping('retry', value);
  if (!m) return out;
  const r = s.child('retry');
  r.unknownKeys(m, RETRY_KEYS);
  if (m.attempts !== undefined) out.attempts = r.whole('attempts', m.attempts, 1);
  if (m.backoff !== undefined) out.backoff = r.oneOf('backoff', m.backoff, BACKOFFS);
  if (m.initial !== undefined) out.initialMs = r.duration('initial', m.initial, true);
  if (m.max !== undefined) out.maxMs = r.duration('max', m.max);
  if (m.factor !== undefined) out.factor = r.number('factor', m.factor, 1);
  if (m.jitter !== undefined) out.jitter = r.oneOf('jitter', m.jitter, JITTERS);
  if (m.nonRetryableExitCodes !== undefined) {
    const list = r.list('nonRetryableExitCodes', m.nonRetryableExitCodes);
    const codes = r.child('nonRetryableExitCodes');
    if (list) out.nonRetryableExitCodes = list.map((v, i) => codes.whole(i, v, 0, 255)).filter((v) => v !== undefined);
  }
  if (out.initialMs !== undefined && out.maxMs !== undefined && out.maxMs < out.initialMs) {
    r.report('max', `"${r.name('max')}" must not be less than "${r.name('initial')}"`);
  }
  for (const key of Object.keys(out) as (keyof RetryPolicy)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Task settings first, then `defaults`, then DEFAULT_RETRY, field by field. */
export function mergeRetry(attempts: number | undefined, own: Partial<RetryPolicy>, defaults: Defaults): RetryPolicy {
  const d = defaults.retry;
  return {
    attempts: attempts ?? defaults.attempts ?? DEFAULT_RETRY.attempts,
    backoff: own.backoff ?? d.backoff ?? DEFAULT_RETRY.backoff,
    initialMs: own.initialMs ?? d.initialMs ?? DEFAULT_RETRY.initialMs,
    maxMs: own.maxMs ?? d.maxMs ?? Math.max(DEFAULT_RETRY.maxMs, own.initialMs ?? d.initialMs ?? 0),
    factor: own.factor ?? d.factor ?? DEFAULT_RETRY.factor,
    jitter: own.jitter ?? d.jitter ?? DEFAULT_RETRY.jitter,
    nonRetryableExitCodes: [...(own.nonRetryableExitCodes ?? d.nonRetryableExitCodes ?? DEFAULT_RETRY.nonRetryableExitCodes)],
  };
}

/** An env mapping: variable-like names, scalar values as text (which may hold templates). */
export function checkEnv(value: unknown, s: Scope, key: string, sites: ExprSite[], task: number | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const m = s.mapping(key, value);
  if (!m) return out;
  const e = s.child(key);
  for (const name in m) {
    if (!ENV_NAME_PATTERN.test(name) || name === '__proto__') {
      e.report(name, `environment variable name "${name}" is not valid: use letters, digits and "_", not starting with a digit`, 'key');
      continue;
    }
    const text = e.text(name, m[name]);
    if (text === undefined) continue;
    out[name] = text;
    noteTemplate(sites, task, e, name, text);
  }
  return out;
}

/** `chaos: {failureRate: 0.2, latency: 500ms}` on a task or the workflow: a rehearsal of failures and slowness. */
export function checkChaos(value: unknown, s: Scope): ChaosDef | undefined {
  const m = s.mapping('chaos', value);
  if (!m) return undefined;
  const c = s.child('chaos');
  c.unknownKeys(m, CHAOS_KEYS);
  const rate = m.failureRate === undefined ? 0 : c.number('failureRate', m.failureRate, 0);
  if (rate !== undefined && rate > 1) c.report('failureRate', `failureRate is a probability from 0 to 1, got ${rate}`);
  const latencyMs = m.latency === undefined ? 0 : c.duration('latency', m.latency, true);
  if (rate === undefined || rate > 1 || latencyMs === undefined) return undefined;
  return { failureRate: rate, latencyMs };
}
