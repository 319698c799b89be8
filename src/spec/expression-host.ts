/**
 * @module spec/expression-host
 * The expression language (CEL) as the engine sees it: core's ExpressionHost.
 */
import type { ExpressionHost } from '../core/expressions.js';
import { referencedTasks } from './expression-refs.js';
import { compileExpression, evaluateCondition } from './expressions.js';
import { hasTemplate, renderTemplate } from './template.js';

export const expressionHost: ExpressionHost = {
  evaluateCondition(source, ctx, facts) {
    if (source === undefined) return facts.upstreamOk && !facts.cancelled;
    return evaluateCondition(compileExpression(source), ctx, facts);
  },
  renderTemplate(text, ctx, mode) {
    return hasTemplate(text) ? renderTemplate(text, ctx, mode) : text;
  },
  referencedTasks,
};
