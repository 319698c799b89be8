/**
 * @module spec/expression-host
 * The expression language (CEL) as the engine sees it: core's ExpressionHost.
 * Texts without expressions never touch CEL; for the others it must be loaded
 * (expression-language.ts: loadExpressions, or spec/index.ts imported).
 */
import type { ExpressionHost } from '../core/expressions.js';
import { referencedTasks } from './expression-refs.js';
import { expressions } from './expression-language.js';
import { hasTemplate, renderTemplate } from './template.js';

export const expressionHost: ExpressionHost = {
  evaluateCondition(source, ctx, facts) {
    if (source === undefined) return facts.upstreamOk && !facts.cancelled;
    const cel = expressions();
    return cel.evaluateCondition(cel.compileExpression(source), ctx, facts);
  },
  renderTemplate(text, ctx, mode) {
    return hasTemplate(text) ? renderTemplate(text, ctx, mode) : text;
  },
  referencedTasks,
};
