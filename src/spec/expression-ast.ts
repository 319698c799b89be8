/**
 * @module spec/expression-ast
 * The names expressions may use and a walk over CEL's AST: what the checks
 * need without loading the CEL library itself (see expression-language.ts).
 */
import type { ASTNode } from '@marcbachmann/cel-js';

export const ROOT_NAMES = ['inputs', 'env', 'secrets', 'tasks', 'event'] as const;
export const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;

/** Every node of an AST, depth first. */
export function walkNodes(node: ASTNode, visit: (n: ASTNode) => void): void {
  visit(node);
  for (const child of childrenOf(node)) walkNodes(child, visit);
}

export function childrenOf(node: ASTNode): ASTNode[] {
  switch (node.op) {
    case 'value':
    case 'id':
      return [];
    case '.':
    case '.?':
      return [node.args[0]];
    case 'call':
      return node.args[1];
    case 'rcall':
      return [node.args[1], ...node.args[2]];
    case 'list':
      return node.args;
    case 'map':
      return node.args.flat();
    case '!_':
    case '-_':
      return [node.args];
    default:
      return [...(node.args as ASTNode[])];
  }
}
