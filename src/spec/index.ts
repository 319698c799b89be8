/**
 * @module spec
 * Workflow files (YAML or JSON) to the core model, and the expression and
 * template language they use. The public surface of the layer.
 */

// The public surface loads the expression language at once (expressions.ts
// provides itself to expression-language.ts), so loadWorkflowText and
// expressionHost work on any document; the CLI imports loader.js alone.
export { loadWorkflowFile, loadWorkflowText, type LoadResult } from './loader.js';
export { loadExpressions } from './load-expressions.js';
export { resolveInputs, type ResolvedInputs } from './inputs.js';
export {
  compileExpression,
  evaluate,
  evaluateCondition,
  usesStatusFunction,
  CompiledExpression,
  type ConditionFacts,
  type ExprContext,
} from './expressions.js';
export { hasTemplate, parseTemplate, renderTemplate, shellQuote, valueToText, type TemplatePart } from './template.js';
export { referencedTasks } from './expression-refs.js';
