/**
 * @module core/retry
 * Retry decisions: whether a failed attempt gets another, and after what delay.
 * Pure: randomness comes in as a function so tests can pin it.
 */
import type { RetryPolicy } from './model.js';

export type Random = () => number;

/** Delay before attempt `nextAttempt` (2 for the first retry), before jitter. */
export function backoffCeilingMs(policy: RetryPolicy, nextAttempt: number): number {
  const n = Math.max(0, nextAttempt - 2);
  let delay: number;
  switch (policy.backoff) {
    case 'fixed':
      delay = policy.initialMs;
      break;
    case 'linear':
      delay = policy.initialMs * (n + 1);
      break;
    case 'exponential':
      delay = policy.initialMs * Math.pow(policy.factor, n);
      break;
  }
  return Math.min(policy.maxMs, delay);
}

/** Delay with the policy's jitter applied ('full': uniform in [0, ceiling]). */
export function backoffDelayMs(policy: RetryPolicy, nextAttempt: number, random: Random): number {
  const ceiling = backoffCeilingMs(policy, nextAttempt);
  return policy.jitter === 'full' ? Math.floor(random() * ceiling) : ceiling;
}

export interface FailureFacts {
  /** Failed attempts so far, this one included (crashed attempts do not count). */
  failures: number;
  exitCode?: number | null;
  nonRetryable?: boolean;
}

export function shouldRetry(policy: RetryPolicy, facts: FailureFacts): boolean {
  if (facts.nonRetryable) return false;
  if (facts.exitCode != null && policy.nonRetryableExitCodes.includes(facts.exitCode)) return false;
  return facts.failures < policy.attempts;
}
