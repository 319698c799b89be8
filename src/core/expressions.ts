/**
 * @module core/expressions
 * What the engine needs from the expression language, as an interface: the
 * engine evaluates `if` conditions and renders `${{ }}` templates at run time,
 * but the language itself (CEL, in spec/) is wired in by the composition root.
 */

export interface ExprContext {
  inputs: Record<string, unknown>;
  env: Record<string, string>;
  secrets: Record<string, string>;
  tasks: Record<string, { status: string; outputs: Record<string, string> }>;
  event?: unknown;
}

export interface ConditionFacts {
  /** Every dependency succeeded. */
  upstreamOk: boolean;
  /** Some dependency failed (or was skipped because of a failure). */
  upstreamFailed: boolean;
  /** The run is being cancelled. */
  cancelled: boolean;
}

export interface ExpressionHost {
  /** GitHub Actions semantics: without a status function the condition is `success() && (expr)`. */
  evaluateCondition(source: string | undefined, ctx: ExprContext, facts: ConditionFacts): boolean;
  /** 'shell': each `${{ }}` becomes a shell-quoted word; 'raw': the plain value. */
  renderTemplate(text: string, ctx: ExprContext, mode: 'shell' | 'raw'): string;
  /** Task ids whose status or outputs the text refers to (an `if`, or a text with `${{ }}`). */
  referencedTasks(text: string, kind: 'condition' | 'template'): string[];
}
