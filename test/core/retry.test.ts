import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type RetryPolicy } from '../../src/core/model.js';
import { backoffCeilingMs, backoffDelayMs, shouldRetry } from '../../src/core/retry.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY, ...p });

describe('retry policy', () => {
  it('grows exponentially up to the maximum', () => {
    const p = policy({ initialMs: 100, factor: 2, maxMs: 1000 });
    expect([2, 3, 4, 5, 6].map((a) => backoffCeilingMs(p, a))).toEqual([100, 200, 400, 800, 1000]);
  });
  it('supports linear and fixed backoff', () => {
    expect([2, 3, 4].map((a) => backoffCeilingMs(policy({ backoff: 'linear', initialMs: 50 }), a))).toEqual([50, 100, 150]);
    expect([2, 3, 4].map((a) => backoffCeilingMs(policy({ backoff: 'fixed', initialMs: 50 }), a))).toEqual([50, 50, 50]);
  });
  it('applies full jitter in [0, ceiling]', () => {
    const p = policy({ initialMs: 1000 });
    expect(backoffDelayMs(p, 2, () => 0)).toBe(0);
    expect(backoffDelayMs(p, 2, () => 0.5)).toBe(500);
    expect(backoffDelayMs(p, 2, () => 0.999)).toBe(999);
    expect(backoffDelayMs(policy({ initialMs: 1000, jitter: 'none' }), 2, () => 0)).toBe(1000);
  });
  it('retries while attempts are left, never for non-retryable codes', () => {
    const p = policy({ attempts: 3, nonRetryableExitCodes: [78] });
    expect(shouldRetry(p, { failures: 1, exitCode: 1 })).toBe(true);
    expect(shouldRetry(p, { failures: 2, exitCode: 1 })).toBe(true);
    expect(shouldRetry(p, { failures: 3, exitCode: 1 })).toBe(false);
    expect(shouldRetry(p, { failures: 1, exitCode: 78 })).toBe(false);
    expect(shouldRetry(p, { failures: 1, nonRetryable: true })).toBe(false);
  });
});

describe('durations', () => {
  it('parses what people write', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration(10)).toBe(10_000);
    expect(parseDuration('10')).toBe(10_000);
  });
  it('rejects what is not a duration', () => {
    for (const bad of ['', 'soon', '5 m', '5x', '-1s', 'm5', '1h30', '1h 30m']) expect(parseDuration(bad), bad).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
  });
  it('formats short and long durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(7_800_000)).toBe('2h10m');
  });
});
