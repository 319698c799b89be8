/**
 * @module core/errors
 * One small error family with stable string codes. Unknown throwables are
 * coerced at catch sites with `coerceError`; nothing rejects with a string.
 */

export type ErrorCode =
  | 'INVALID_WORKFLOW'
  | 'INVALID_INPUT'
  | 'USAGE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LEASE_LOST'
  | 'STORE'
  | 'INTERNAL';

export class BatonError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BatonError';
    this.code = code;
  }
}

/** A problem found in a workflow file, with its place. Lines and columns are 1-based. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class WorkflowInvalidError extends BatonError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('INVALID_WORKFLOW', problems.map(formatProblem).join('\n'));
    this.name = 'WorkflowInvalidError';
    this.problems = problems;
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** Thrown by a step to fail at once, whatever attempts are left. */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** Thrown by a step to be retried after the given delay instead of the policy's backoff. */
export class RetryAfterError extends Error {
  readonly delayMs: number;
  constructor(delayMs: number, message = `retry after ${delayMs}ms`, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryAfterError';
    this.delayMs = delayMs;
  }
}

export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
