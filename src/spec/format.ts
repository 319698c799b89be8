/**
 * @module spec/format
 * The words of the file format the checks need at run time: key lists,
 * patterns, enumerations. Kept free of zod (schema.ts, the documented shape,
 * costs ~60 ms to load); test/spec/schema.test.ts holds these lists equal to
 * the zod shapes.
 */

export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const BACKOFFS = ['exponential', 'linear', 'fixed'] as const;
export const JITTERS = ['full', 'none'] as const;
export const INPUT_TYPES = ['string', 'number', 'boolean'] as const;

export const WORKFLOW_KEYS = ['name', 'description', 'inputs', 'env', 'secrets', 'concurrency', 'priority', 'timeout', 'failFast', 'defaults', 'on', 'quietHours', 'alerts', 'chaos', 'tasks'];
export const TASK_KEYS = [
  'id',
  'name',
  'description',
  'command',
  'operation',
  'args',
  'workflow',
  'function',
  'input',
  'dependsOn',
  'dependencies',
  'retries',
  'retry',
  'timeout',
  'if',
  'env',
  'cwd',
  'rollback',
  'healthCheck',
  'chaos',
  'pool',
  'priority',
];
/** Priorities go from -PRIORITY_MAX to PRIORITY_MAX. */
export const PRIORITY_MAX = 1000;
export const CONCURRENCY_KEYS = ['tasks', 'runs', 'key', 'limit'];
export const RETRY_KEYS = ['attempts', 'backoff', 'initial', 'max', 'factor', 'jitter', 'nonRetryableExitCodes'];
export const DEFAULTS_KEYS = ['retries', 'retry', 'timeout', 'env', 'cwd'];
export const INPUT_KEYS = ['type', 'default', 'description', 'enum', 'required'] as const;
export const CHAOS_KEYS = ['failureRate', 'latency'];
