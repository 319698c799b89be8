/**
 * @module spec/validate-workflow
 * Checks a parsed workflow document (the full form or a bare list of tasks)
 * and compiles it to a `WorkflowDef`: top-level keys, inputs, env, secrets,
 * defaults, then each task, then the checks that need the whole graph. Every
 * problem is collected, by path; placing them in the text is the loader's job.
 */

import type { InputDef, RunConcurrency, WorkflowDef } from '../core/model.js';
import type { TriggersDef } from '../core/schedule.js';
import { checkAlerts, checkQuietHours, checkTriggers } from './triggers.js';
import { checkInputs } from './inputs.js';
import { describe, isMapping, Scope, type Issue, type Mapping } from './issues.js';
import { checkGraph, checkSites } from './references.js';
import { expressionsLoaded } from './expression-language.js';
import { CONCURRENCY_KEYS, DEFAULTS_KEYS, ENV_NAME_PATTERN, PRIORITY_MAX, WORKFLOW_KEYS } from './format.js';
import { hasTemplate } from './template.js';
import type { Path } from './source-map.js';
import { checkChaos, checkEnv, checkRetry, checkTask, noteTemplate, type Defaults, type ExprSite, type TaskChecks, type TaskInfo } from './validate-task.js';

export interface Checked {
  workflow?: WorkflowDef;
  /** The `on:` block (schedules), for the server. */
  triggers?: TriggersDef;
  issues: Issue[];
  /**
   * The document has expressions (or an `on:` block, whose conditions are
   * expressions) and the expression language is not loaded: nothing was
   * checked; load it (expression-language.ts) and check again.
   */
  needsExpressions?: true;
}

export function checkWorkflow(raw: unknown, defaultName: string): Checked {
  const issues: Issue[] = [];
  const sites: ExprSite[] = [];
  const top = Scope.at(issues, []);
  const workflow: WorkflowDef = { name: defaultName, inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] };
  let triggers: TriggersDef | undefined;
  let defaults: Defaults = { retry: {}, env: {}, envCount: 0 };
  let tasks: unknown;
  let tasksPath: Path;

  if (raw === null || raw === undefined) {
    top.report(undefined, 'the file is empty: expected a mapping with "tasks", or a list of tasks');
    return { issues };
  }
  if (Array.isArray(raw)) {
    tasks = raw;
    tasksPath = [];
  } else if (isMapping(raw)) {
    top.unknownKeys(raw, WORKFLOW_KEYS);
    const name = raw.name === undefined ? undefined : top.string('name', raw.name, true);
    if (name !== undefined) workflow.name = name;
    if (raw.description !== undefined) top.string('description', raw.description);
    if (raw.inputs !== undefined) workflow.inputs = checkInputs(raw.inputs, top);
    if (raw.env !== undefined) workflow.env = checkEnv(raw.env, top, 'env', sites, undefined);
    if (raw.secrets !== undefined) workflow.secrets = checkSecrets(raw.secrets, top);
    if (raw.concurrency !== undefined) checkConcurrency(raw.concurrency, top, workflow, sites);
    if (raw.priority !== undefined) workflow.priority = top.whole('priority', raw.priority, -PRIORITY_MAX, PRIORITY_MAX);
    if (raw.timeout !== undefined) workflow.timeoutMs = top.duration('timeout', raw.timeout);
    if (raw.failFast !== undefined) workflow.failFast = top.boolean('failFast', raw.failFast) ?? false;
    if (raw.defaults !== undefined) defaults = checkDefaults(raw.defaults, top, sites);
    if (raw.chaos !== undefined) {
      const chaos = checkChaos(raw.chaos, top);
      if (chaos) defaults.chaos = chaos;
    }
    if (raw.on !== undefined) {
      if (!expressionsLoaded()) return { issues: [], needsExpressions: true };
      const on = top.mapping('on', raw.on);
      if (on) triggers = checkTriggers(on, top);
    }
    if (raw.quietHours !== undefined) {
      const quiet = checkQuietHours(raw.quietHours, top);
      if (quiet) workflow.quietHours = quiet;
    }
    if (raw.alerts !== undefined) (triggers ??= { schedules: [], events: [], alerts: [] }).alerts = checkAlerts(raw.alerts, top);
    if (raw.tasks === undefined) {
      top.report(undefined, 'missing "tasks": a workflow needs a list (or a mapping) of tasks');
      return { issues };
    }
    tasks = raw.tasks;
    tasksPath = ['tasks'];
  } else {
    top.report(undefined, `a workflow must be a mapping with "tasks", or a list of tasks, got ${describe(raw)}`);
    return { issues };
  }

  const infos = checkTasks(tasks, tasksPath, top, { issues, sites, defaults, sharedRetry: new Map() });
  const index = checkGraph(infos, issues);
  if (sites.length > 0 && !expressionsLoaded()) return { issues: [], needsExpressions: true };
  checkSites(sites, { inputs: Object.keys(workflow.inputs), secrets: workflow.secrets, infos, index });
  if (issues.length > 0) return { issues };
  workflow.tasks = infos.map((info) => info.def);
  dropUndefined(workflow);
  return triggers === undefined ? { workflow, issues } : { workflow, triggers, issues };
}

function checkTasks(value: unknown, path: Path, top: Scope, c: TaskChecks): TaskInfo[] {
  const infos: TaskInfo[] = [];
  const list = Scope.at(c.issues, path);
  const add = (info: TaskInfo | undefined): void => void (info && infos.push(info));
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) add(checkTask(value[i], list.item(i), undefined, infos.length, c));
    if (value.length === 0) top.report(path.length > 0 ? 'tasks' : undefined, 'a workflow needs at least one task');
  } else if (isMapping(value)) {
    for (const key in value) add(checkTask(value[key], list.item(key), key, infos.length, c));
    if (infos.length === 0 && Object.keys(value).length === 0) top.report('tasks', 'a workflow needs at least one task');
  } else {
    top.wrong('tasks', 'a list of tasks or a mapping of id to task', value);
  }
  return infos;
}

function checkSecrets(value: unknown, top: Scope): string[] {
  const list = top.list('secrets', value);
  if (!list) return [];
  const s = top.child('secrets');
  const names = new Set<string>();
  list.forEach((v, i) => {
    const name = s.string(i, v);
    if (name === undefined) return;
    if (!ENV_NAME_PATTERN.test(name)) s.report(i, `secret "${name}" is not a valid environment variable name: use letters, digits and "_", not starting with a digit`);
    else names.add(name);
  });
  return [...names];
}

function checkDefaults(value: unknown, top: Scope, sites: ExprSite[]): Defaults {
  const defaults: Defaults = { retry: {}, env: {}, envCount: 0 };
  const m: Mapping | undefined = top.mapping('defaults', value);
  if (!m) return defaults;
  const d = top.child('defaults');
  d.unknownKeys(m, DEFAULTS_KEYS);
  if (m.retry !== undefined) defaults.retry = checkRetry(m.retry, d);
  if (m.retries !== undefined) {
    const retries = d.whole('retries', m.retries, 0);
    if (retries !== undefined) defaults.attempts = retries + 1;
    if (defaults.retry.attempts !== undefined) d.report('retries', 'give "retries" or "retry.attempts", not both', 'key');
  } else if (defaults.retry.attempts !== undefined) {
    defaults.attempts = defaults.retry.attempts;
  }
  if (m.timeout !== undefined) defaults.timeoutMs = d.duration('timeout', m.timeout);
  if (m.env !== undefined) defaults.env = checkEnv(m.env, d, 'env', sites, undefined);
  defaults.envCount = Object.keys(defaults.env).length;
  if (m.cwd !== undefined) {
    defaults.cwd = d.string('cwd', m.cwd, true);
    if (defaults.cwd !== undefined) noteTemplate(sites, undefined, d, 'cwd', defaults.cwd);
  }
  return defaults;
}

/**
 * `concurrency: 4` (tasks at once in a run), or the mapping form
 * `{tasks, runs, key, limit}`: runs of the workflow at once, and runs at once
 * per value of `key` (a template over inputs, `${{ inputs.customer }}`).
 */
function checkConcurrency(value: unknown, top: Scope, workflow: WorkflowDef, sites: ExprSite[]): void {
  if (!isMapping(value)) {
    if (typeof value === 'number') workflow.concurrency = top.whole('concurrency', value, 1);
    else top.wrong('concurrency', 'a whole number ≥ 1 (tasks at once), or a mapping {tasks, runs, key, limit}', value);
    return;
  }
  const c = top.child('concurrency');
  c.unknownKeys(value, CONCURRENCY_KEYS);
  if (value.tasks !== undefined) workflow.concurrency = c.whole('tasks', value.tasks, 1);
  const runs: RunConcurrency = {};
  if (value.runs !== undefined) {
    const n = c.whole('runs', value.runs, 1);
    if (n !== undefined) runs.runs = n;
  }
  if (value.key !== undefined) {
    const key = c.string('key', value.key, true);
    if (key !== undefined) {
      if (!hasTemplate(key)) c.report('key', `"key" is the same for every run ("${key}"): use an expression over inputs such as "\${{ inputs.customer }}", or "runs" for a limit on all runs of the workflow`);
      else {
        noteTemplate(sites, undefined, c, 'key', key);
        runs.key = key;
      }
    }
  }
  if (value.limit !== undefined) {
    const n = c.whole('limit', value.limit, 1);
    if (n !== undefined) runs.limit = n;
    if (value.key === undefined) c.report('limit', '"limit" is the number of runs at once per key: give "key" too (or use "runs" for all runs of the workflow)', 'key');
  }
  if (runs.runs !== undefined || runs.key !== undefined) workflow.runConcurrency = runs;
}

function dropUndefined(workflow: WorkflowDef): void {
  if (workflow.concurrency === undefined) delete workflow.concurrency;
  if (workflow.priority === undefined) delete workflow.priority;
  if (workflow.timeoutMs === undefined) delete workflow.timeoutMs;
  for (const input of Object.values(workflow.inputs) as InputDef[]) if (input.description === undefined) delete input.description;
}
