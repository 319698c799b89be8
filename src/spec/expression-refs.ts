/**
 * @module spec/expression-refs
 * What an expression refers to, read from its CEL AST: `inputs.NAME`,
 * `secrets.NAME`, `tasks.ID.field` (also `inputs['NAME']`, `tasks['my-id']`),
 * names that are not one of the roots, unknown functions and status function
 * calls. Variables bound by macros (`list.all(x, ...)`, `cel.bind(x, ...)`) are
 * not names. Offsets are relative to the expression's source.
 */

import type { ASTNode } from '@marcbachmann/cel-js';
import { ROOT_NAMES, STATUS_FUNCTIONS, childrenOf } from './expression-ast.js';
import { expressions } from './expression-language.js';
import { scanTemplate } from './template.js';

export type Ref =
  | { kind: 'input' | 'secret'; name: string; at: number }
  | { kind: 'task'; name: string; at: number; field?: string; fieldAt?: number }
  | { kind: 'name' | 'function' | 'status'; name: string; at: number };

const ROOTS: ReadonlySet<string> = new Set(ROOT_NAMES);
const STATUS: ReadonlySet<string> = new Set(STATUS_FUNCTIONS);
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter', 'transformList', 'transformMap', 'sortBy']);

/** `root.NAME` or `root['NAME']` on an unbound root: [root, NAME]. */
function member(node: ASTNode, bound: ReadonlySet<string>): [string, string] | undefined {
  let target: ASTNode;
  let name: unknown;
  if (node.op === '.' || node.op === '.?') [target, name] = node.args;
  else if ((node.op === '[]' || node.op === '[?]') && node.args[1].op === 'value') [target, name] = [node.args[0], node.args[1].args];
  else return undefined;
  if (target.op !== 'id' || bound.has(target.args) || typeof name !== 'string') return undefined;
  return [target.args, name];
}

export function collectRefs(ast: ASTNode): Ref[] {
  const refs: Ref[] = [];
  const walk = (node: ASTNode, bound: ReadonlySet<string>): void => {
    const m = member(node, bound);
    if (m) {
      const [root, name] = m;
      if (root === 'inputs') refs.push({ kind: 'input', name, at: node.start });
      else if (root === 'secrets') refs.push({ kind: 'secret', name, at: node.start });
      else if (root === 'tasks') refs.push({ kind: 'task', name, at: node.start });
      else walk((node.args as [ASTNode, unknown])[0], bound);
      return;
    }
    // tasks.ID.field: the task reference with the field it reads
    if (node.op === '.' || node.op === '.?') {
      const inner = member(node.args[0], bound);
      if (inner && inner[0] === 'tasks') {
        refs.push({ kind: 'task', name: inner[1], at: node.args[0].start, field: node.args[1], fieldAt: node.start });
        return;
      }
    }
    switch (node.op) {
      case 'id':
        if (!bound.has(node.args) && !ROOTS.has(node.args)) refs.push({ kind: 'name', name: node.args, at: node.start });
        return;
      case 'call': {
        const [name, args] = node.args;
        if (STATUS.has(name)) refs.push({ kind: 'status', name, at: node.start });
        else if (!expressions().KNOWN_FUNCTIONS.has(name)) refs.push({ kind: 'function', name, at: node.start });
        for (const arg of args) walk(arg, bound);
        return;
      }
      case 'rcall': {
        const [name, receiver, args] = node.args;
        const isBind = name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && !bound.has('cel');
        if (isBind || MACROS.has(name)) {
          const inner = new Set(bound);
          const first = args[0];
          const second = args[1];
          if (first?.op === 'id') inner.add(first.args);
          if (isBind) {
            if (second) walk(second, bound);
            for (const arg of args.slice(2)) walk(arg, inner);
          } else {
            walk(receiver, bound);
            for (const arg of args) if (!(arg.op === 'id' && inner.has(arg.args))) walk(arg, inner);
          }
          return;
        }
        break;
      }
    }
    for (const child of childrenOf(node)) walk(child, bound);
  };
  walk(ast, new Set());
  return refs;
}

/**
 * Ids of the tasks an `if` expression (kind 'condition') or a `${{ }}` template
 * reads, from the AST (not a text scan: `'tasks.x'` in a string literal is no read).
 * Empty when the text does not parse (the loader reports that).
 */
export function referencedTasks(text: string, kind: 'condition' | 'template'): string[] {
  const sources: string[] = [];
  if (kind === 'condition') sources.push(text);
  else {
    const scan = scanTemplate(text);
    if (scan.ok) for (const part of scan.parts) if (part.kind === 'expression') sources.push(part.source);
  }
  const ids = new Set<string>();
  for (const source of sources) {
    const outcome = expressions().tryCompileExpression(source);
    if (outcome.ok) for (const ref of collectRefs(outcome.expr.ast)) if (ref.kind === 'task') ids.add(ref.name);
  }
  return [...ids];
}
