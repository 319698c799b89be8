/**
 * @module spec/load-expressions
 * Imports the expression language on demand (see expression-language.ts).
 */
import { expressions, expressionsLoaded, type ExpressionLanguage } from './expression-language.js';

/** Import the expression language (once). */
export async function loadExpressions(): Promise<ExpressionLanguage> {
  if (!expressionsLoaded()) await import('./expressions.js');
  return expressions();
}
