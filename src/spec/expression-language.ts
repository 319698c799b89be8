/**
 * @module spec/expression-language
 * The CEL half of spec/ (expressions.ts and the `@marcbachmann/cel-js`
 * library, about 30 ms of start-up) is imported only when a workflow has
 * expressions (`if:`, `${{ }}`, event conditions). This module is the
 * handle the rest of spec/ uses synchronously: expressions.ts provides
 * itself here when it is evaluated, `loadExpressions()` (load-expressions.ts)
 * imports it, and `expressions()` before that is an internal error (a caller
 * forgot to load it).
 * spec/index.ts, the public surface, imports expressions.ts eagerly.
 */
import type { WorkflowDef } from '../core/model.js';
import type { CompiledExpression, CompileOutcome, ConditionFacts, ExprContext } from './expressions.js';

export interface ExpressionLanguage {
  tryCompileExpression(source: string, useCache?: boolean): CompileOutcome;
  compileExpression(source: string): CompiledExpression;
  evaluate(expr: CompiledExpression, ctx: ExprContext): unknown;
  evaluateCondition(expr: CompiledExpression, ctx: ExprContext, facts: ConditionFacts): boolean;
  /** Global function names an expression may call. */
  readonly KNOWN_FUNCTIONS: ReadonlySet<string>;
}

let language: ExpressionLanguage | undefined;

/** Called by expressions.ts once it is loaded. */
export function provideExpressions(l: ExpressionLanguage): void {
  language = l;
}

export function expressionsLoaded(): boolean {
  return language !== undefined;
}

/** The loaded expression language; throws when nothing imported it yet. */
export function expressions(): ExpressionLanguage {
  if (!language) throw new Error('internal error: the expression language was used before it was loaded (loadExpressions)');
  return language;
}

/**
 * Whether running `def` may evaluate an expression: a task with `if`, or a
 * `${{` in any of its texts (the engine renders only texts that hold one).
 */
export function mayUseExpressions(def: WorkflowDef): boolean {
  return def.tasks.some((t) => t.if !== undefined) || JSON.stringify(def).includes('${{');
}
