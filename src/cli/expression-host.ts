/**
 * @module cli/expression-host
 * Wires spec's expression language (CEL) into the engine's ExpressionHost.
 */
import type { ExpressionHost } from '../core/expressions.js';
import { compileExpression, evaluateCondition, renderTemplate } from '../spec/index.js';

const TASK_REF = /\btasks\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(['"])(.*?)\2\s*\])/g;

export const expressionHost: ExpressionHost = {
  evaluateCondition(source, ctx, facts) {
    if (source === undefined) return facts.upstreamOk && !facts.cancelled;
    return evaluateCondition(compileExpression(source), ctx, facts);
  },
  renderTemplate(text, ctx, mode) {
    return text.includes('${{') ? renderTemplate(text, ctx, mode) : text;
  },
  referencedTasks(text) {
    const ids = new Set<string>();
    for (const m of text.matchAll(TASK_REF)) ids.add((m[1] ?? m[3]) as string);
    return [...ids];
  },
};
