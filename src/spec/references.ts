/**
 * @module spec/references
 * Checks that need the whole workflow: duplicate ids, unknown and self
 * dependencies, cycles (printed as their path), and every expression: syntax,
 * names it uses (declared inputs and secrets, existing tasks that are
 * upstream of the task reading them), status functions only in `if`, types.
 * All linear in the file's size, apart from upstream searches, which stop as
 * soon as the task is found.
 */

import { findCycle, type Node } from '../core/dag.js';
import { collectRefs, type Ref } from './expression-refs.js';
import { ROOT_NAMES } from './expression-ast.js';
import { expressions } from './expression-language.js';
import type { Issue } from './issues.js';
import type { Path } from './source-map.js';
import { didYouMean } from './suggest.js';
import { scanTemplate } from './template.js';
import { idPath, type ExprSite, type TaskInfo } from './validate-task.js';

/** Suggestions over all task ids cost a pass over the ids each: a few are helpful, thousands would be slow. */
const MAX_SUGGESTIONS = 20;
const MAX_CYCLES = 10;

/** Graph problems; returns the index of each task id (first definition). */
export function checkGraph(infos: readonly TaskInfo[], issues: Issue[]): Map<string, number> {
  const index = new Map<string, number>();
  infos.forEach((info, i) => {
    const first = index.get(info.def.id);
    if (first === undefined) index.set(info.def.id, i);
    else issues.push({ path: idPath(info), at: info.idAt, message: `duplicate task id "${info.def.id}"`, firstAt: idPath(infos[first]!) });
  });
  let suggestions = 0;
  let selfDeps = false;
  for (const info of infos) {
    info.rawDeps.forEach((dep, j) => {
      if (dep === null) return;
      if (dep === info.def.id) {
        selfDeps = true;
        issues.push({ path: depPath(info, j), at: 'value', message: `task "${dep}" depends on itself` });
      } else if (!index.has(dep)) {
        const hint = suggestions++ < MAX_SUGGESTIONS ? didYouMean(dep, index.keys()) : '';
        issues.push({ path: depPath(info, j), at: 'value', message: `unknown dependency "${dep}"${hint}` });
      }
    });
  }
  const nodes: Node[] = infos.map((info) => (selfDeps ? { id: info.def.id, dependsOn: info.def.dependsOn.filter((d) => d !== info.def.id) } : info.def));
  const seen = new Set<string>();
  for (let n = 0; n < MAX_CYCLES; n++) {
    const cycle = findCycle(nodes);
    const message = cycle && `cycle: ${cycle.join(' -> ')}`;
    if (!cycle || !message || seen.has(message)) break;
    seen.add(message);
    const [from, to] = [cycle[0]!, cycle[1]!];
    const at = index.get(from)!;
    const info = infos[at]!;
    issues.push({ path: depPath(info, Math.max(0, info.rawDeps.indexOf(to))), at: 'value', message });
    nodes[at] = { id: from, dependsOn: nodes[at]!.dependsOn.filter((d) => d !== to) };
  }
  return index;
}

function depPath(info: TaskInfo, j: number): Path {
  const path = info.scope.path;
  return info.depList ? [...path, info.depKey!, j] : [...path, info.depKey!];
}

export interface SiteContext {
  inputs: readonly string[];
  secrets: readonly string[];
  infos: readonly TaskInfo[];
  index: Map<string, number>;
}

/** What the checks need to know of one expression, computed once per source text. */
type Analysis = { ok: true; refs: Ref[]; typeError?: { message: string; at: number } } | { ok: false; message: string; at: number };

function analyse(source: string): Analysis {
  // not cached globally: a big file's distinct expressions would only fill the cache
  const outcome = expressions().tryCompileExpression(source, false);
  if (!outcome.ok) return { ok: false, message: outcome.message, at: outcome.offset };
  const refs = collectRefs(outcome.expr.ast);
  const typed = outcome.expr.parsed.check();
  const error = typed.error as { summary?: string; message: string; range?: { start: number } } | undefined;
  if (typed.valid || !error) return { ok: true, refs };
  return { ok: true, refs, typeError: { message: error.summary ?? error.message, at: error.range?.start ?? 0 } };
}

/** Check every expression site; problems go to each site's scope. */
export function checkSites(sites: readonly ExprSite[], ctx: SiteContext): void {
  if (sites.length === 0) return;
  const known: Known = { suggestions: MAX_SUGGESTIONS, inputs: new Set(ctx.inputs), secrets: new Set(ctx.secrets), upstream: new Upstream(ctx.infos, ctx.index), ctx };
  const analyses = new Map<string, Analysis>();
  for (const site of sites) {
    const report = (at: number, message: string): void => site.scope.report(site.key, message, 'value', site.offset + at);
    const check = (source: string, base: number, inCondition: boolean): void => {
      let analysis = analyses.get(source);
      if (!analysis) analyses.set(source, (analysis = analyse(source)));
      if (!analysis.ok) return report(base + analysis.at, `invalid expression: ${analysis.message}`);
      let clean = true;
      for (const ref of analysis.refs) {
        const message = refProblem(ref, site, inCondition, known);
        if (message) {
          clean = false;
          report(base + ref.at, message);
        }
      }
      if (clean && analysis.typeError) report(base + analysis.typeError.at, `invalid expression: ${analysis.typeError.message}`);
    };
    if (site.kind === 'if') {
      check(site.source, 0, true);
      continue;
    }
    const scan = scanTemplate(site.source);
    if (!scan.ok) {
      report(scan.offset, scan.message);
      continue;
    }
    for (const part of scan.parts) if (part.kind === 'expression') check(part.source, part.offset, false);
  }
}

interface Known {
  /** How many more "did you mean" searches over task ids are allowed. */
  suggestions: number;
  inputs: Set<string>;
  secrets: Set<string>;
  upstream: Upstream;
  ctx: SiteContext;
}

const TASK_FIELDS = ['status', 'outputs'];

function refProblem(ref: Ref, site: ExprSite, inCondition: boolean, k: Known): string | undefined {
  switch (ref.kind) {
    case 'input':
      if (k.inputs.has(ref.name)) return undefined;
      return `unknown input "${ref.name}"${didYouMean(ref.name, k.inputs) || ': declare it under "inputs"'}`;
    case 'secret':
      if (k.secrets.has(ref.name)) return undefined;
      return `unknown secret "${ref.name}"${didYouMean(ref.name, k.secrets) || ': list it under "secrets"'}`;
    case 'name':
      return `unknown name "${ref.name}"${didYouMean(ref.name, ROOT_NAMES) || `: expressions can use ${ROOT_NAMES.join(', ')}`}`;
    case 'function':
      return `unknown function "${ref.name}()"${didYouMean(ref.name, expressions().KNOWN_FUNCTIONS)}`;
    case 'status':
      return inCondition ? undefined : `${ref.name}() can only be used in "if"`;
    case 'task':
      return taskProblem(ref, site, k);
  }
}

/** How to write a read of a task: `tasks.build`, or `tasks['my-id']`. */
function shown(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `tasks.${name}` : `tasks['${name}']`;
}

function taskProblem(ref: Extract<Ref, { kind: 'task' }>, site: ExprSite, k: Known): string | undefined {
  if (site.task === undefined) return `${shown(ref.name)} cannot be used here: only a task's own fields can read other tasks`;
  const target = k.ctx.index.get(ref.name);
  const self = k.ctx.infos[site.task]!.def.id;
  if (target === undefined) {
    if (k.suggestions-- <= 0) return `unknown task "${ref.name}"`;
    let hyphenated: string | undefined;
    for (const id of k.ctx.index.keys()) if (id.startsWith(`${ref.name}-`)) (hyphenated ??= id);
    const hint = hyphenated ? ` (for an id with "-", write tasks['${hyphenated}'])` : didYouMean(ref.name, k.ctx.index.keys());
    return `unknown task "${ref.name}"${hint}`;
  }
  if (ref.field !== undefined && !TASK_FIELDS.includes(ref.field)) {
    return `${shown(ref.name)} has no field "${ref.field}"${didYouMean(ref.field, TASK_FIELDS) || ': use status or outputs'}`;
  }
  if (ref.name === self) return `task "${self}" cannot read its own status or outputs`;
  if (!k.upstream.has(site.task, target, ref.name)) {
    return `task "${self}" reads ${shown(ref.name)} but does not depend on it: add "${ref.name}" to its dependsOn`;
  }
  return undefined;
}

/** Whether a task is a (transitive) dependency of another; a search per question, with reused marks. */
class Upstream {
  private deps: number[][] | undefined;
  private marks: Uint32Array;
  private epoch = 0;

  constructor(
    private readonly infos: readonly TaskInfo[],
    private readonly index: Map<string, number>,
  ) {
    this.marks = new Uint32Array(infos.length);
  }

  has(from: number, target: number, name: string): boolean {
    if (this.infos[from]!.def.dependsOn.includes(name)) return true;
    this.deps ??= this.infos.map((info) => info.def.dependsOn.map((d) => this.index.get(d)).filter((i) => i !== undefined));
    const epoch = ++this.epoch;
    const stack = [from];
    this.marks[from] = epoch;
    while (stack.length > 0) {
      for (const next of this.deps[stack.pop()!]!) {
        if (next === target) return true;
        if (this.marks[next] !== epoch) {
          this.marks[next] = epoch;
          stack.push(next);
        }
      }
    }
    return false;
  }
}
