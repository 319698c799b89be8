/**
 * @module spec/expressions
 * Expressions of workflow files (`if`, `${{ }}`): CEL through
 * `@marcbachmann/cel-js`, never `eval`. Compiles and caches by source text,
 * evaluates against an `ExprContext` (core/expressions), and implements GitHub Actions' status
 * functions for conditions: `success()`, `failure()`, `always()`,
 * `cancelled()`; a condition that calls none of them means
 * `success() && (<expr>)`.
 *
 * Values: integers in `inputs` and `event` are CEL ints (so `inputs.n + 1`
 * works); CEL ints come back as JS numbers. Ids with `-` are read with index
 * syntax: `tasks['my-id'].outputs.key`.
 */

import { Environment, ParseError, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import { BatonError } from '../core/errors.js';
import type { ConditionFacts, ExprContext } from '../core/expressions.js';
import { ROOT_NAMES, STATUS_FUNCTIONS, childrenOf, walkNodes } from './expression-ast.js';
import { provideExpressions } from './expression-language.js';

export type { ConditionFacts, ExprContext };

export { ROOT_NAMES, STATUS_FUNCTIONS, childrenOf, walkNodes };

const root = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable('inputs', 'map')
  .registerVariable('env', 'map')
  .registerVariable('secrets', 'map')
  .registerVariable('tasks', 'map')
  .registerVariable('event', 'dyn');

/** Outside conditions the status functions are an error. */
const plain = root.clone();
for (const name of STATUS_FUNCTIONS) {
  plain.registerFunction(`${name}(): bool`, () => {
    throw new BatonError('INVALID_WORKFLOW', `${name}() can only be used in "if"`);
  });
}

/** Global function names an expression may call. */
export const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set(
  plain
    .getDefinitions()
    .functions.filter((f) => !f.receiverType)
    .map((f) => f.name),
);

/** One environment per combination of facts, made when first needed (8 at most). */
const byFacts: Environment[] = [];
function factsKey(f: ConditionFacts): number {
  return (f.upstreamOk ? 1 : 0) | (f.upstreamFailed ? 2 : 0) | (f.cancelled ? 4 : 0);
}
function environmentFor(f: ConditionFacts): Environment {
  const key = factsKey(f);
  let env = byFacts[key];
  if (!env) {
    const values = { success: f.upstreamOk && !f.cancelled, failure: f.upstreamFailed, always: true, cancelled: f.cancelled };
    env = root.clone();
    for (const name of STATUS_FUNCTIONS) env.registerFunction(`${name}(): bool`, () => values[name]);
    byFacts[key] = env;
  }
  return env;
}

/** A parsed expression; get one from `compileExpression`. */
export class CompiledExpression {
  /** Parsed once per facts environment, for conditions that call status functions. */
  private readonly withFacts: (ParseResult | undefined)[] = [];
  /** @internal */
  constructor(
    readonly source: string,
    /** @internal */ readonly parsed: ParseResult,
    readonly callsStatusFunction: boolean,
  ) {}

  /** @internal The CEL AST (nodes carry `op`, `args`, `start`, `end`). */
  get ast(): ASTNode {
    return this.parsed.ast;
  }

  /** @internal */
  runWith(facts: ConditionFacts): ParseResult {
    const key = factsKey(facts);
    return (this.withFacts[key] ??= environmentFor(facts).parse(this.source));
  }
}

export type CompileOutcome = { ok: true; expr: CompiledExpression } | { ok: false; message: string; offset: number };

const CACHE_LIMIT = 10_000;
const cache = new Map<string, CompiledExpression>();

/** Compile without throwing: the message and the offset (in `source`) of a syntax error. */
export function tryCompileExpression(source: string, useCache = true): CompileOutcome {
  const hit = useCache ? cache.get(source) : undefined;
  if (hit) return { ok: true, expr: hit };
  if (source.trim() === '') return { ok: false, message: 'empty expression', offset: 0 };
  let parsed: ParseResult;
  try {
    parsed = plain.parse(source);
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, message: error.summary, offset: error.range?.start ?? 0 };
    return { ok: false, message: error instanceof Error ? error.message : String(error), offset: 0 };
  }
  const expr = new CompiledExpression(source, parsed, callsStatus(parsed.ast));
  if (useCache) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(source, expr);
  }
  return { ok: true, expr };
}

/** Compile (cached by source text); throws `BatonError('INVALID_WORKFLOW')` on a syntax error. */
export function compileExpression(source: string): CompiledExpression {
  const outcome = tryCompileExpression(source);
  if (!outcome.ok) {
    throw new BatonError('INVALID_WORKFLOW', `invalid expression ${JSON.stringify(source)}: ${outcome.message} (at character ${outcome.offset + 1})`);
  }
  return outcome.expr;
}

export function usesStatusFunction(expr: CompiledExpression): boolean {
  return expr.callsStatusFunction;
}

/** The value of an expression; status functions are not available here. */
export function evaluate(expr: CompiledExpression, ctx: ExprContext): unknown {
  return run(expr, expr.parsed, ctx);
}

/**
 * Whether a task whose `if` is `expr` should run. Without a status function the
 * condition is `success() && (expr)`, and expr is not evaluated when success()
 * is false (an upstream that failed may lack the outputs it reads). A result
 * that is not a boolean counts as GitHub counts it: false, 0, '' and null are false.
 */
export function evaluateCondition(expr: CompiledExpression, ctx: ExprContext, facts: ConditionFacts): boolean {
  if (!expr.callsStatusFunction) {
    if (!(facts.upstreamOk && !facts.cancelled)) return false;
    return truthy(run(expr, expr.parsed, ctx));
  }
  return truthy(run(expr, expr.runWith(facts), ctx));
}

function run(expr: CompiledExpression, parsed: ParseResult, ctx: ExprContext): unknown {
  const activation = {
    inputs: toCel(ctx.inputs),
    env: ctx.env,
    secrets: ctx.secrets,
    tasks: ctx.tasks,
    event: toCel(ctx.event ?? null),
  };
  try {
    return fromCel(parsed(activation));
  } catch (error) {
    if (error instanceof BatonError) throw error;
    const summary = (error as { summary?: string }).summary ?? (error instanceof Error ? error.message : String(error));
    throw new BatonError('INVALID_WORKFLOW', `expression ${JSON.stringify(expr.source)} failed: ${summary}`, { cause: error });
  }
}

function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return !(value === null || value === undefined || value === 0 || value === '' || Number.isNaN(value));
}

function callsStatus(node: ASTNode): boolean {
  let found = false;
  walkNodes(node, (n) => {
    if (n.op === 'call' && (STATUS_FUNCTIONS as readonly string[]).includes(n.args[0]) && n.args[1].length === 0) found = true;
  });
  return found;
}

/** JS values into CEL's: integers become CEL ints (BigInt), recursively. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** CEL values back to plain JS: ints to numbers (a string when beyond 2^53). */
function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : String(value);
  }
  if (Array.isArray(value)) return value.map(fromCel);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
      return out;
    }
    if (value instanceof Map) return fromCel(Object.fromEntries(value));
    if (typeof (value as { valueOf?: unknown }).valueOf === 'function') {
      const primitive = (value as { valueOf(): unknown }).valueOf();
      if (typeof primitive === 'bigint') return fromCel(primitive);
    }
  }
  return value;
}

provideExpressions({ tryCompileExpression, compileExpression, evaluate, evaluateCondition, KNOWN_FUNCTIONS });
