/**
 * @module console/metrics/rates
 * Series for the charts from successive /metrics readings: a counter's
 * increase per minute between readings (null across a server restart, when
 * counters start again from zero), and a gauge's value at each reading.
 */
import { sum } from './prometheus';
import type { Reading } from './use-samples';

export function perMinute(readings: Reading[], name: string, where: Record<string, string> = {}): Array<number | null> {
  return readings.map((r, i) => {
    const prev = readings[i - 1];
    if (!prev) return null;
    const delta = sum(r.samples, name, where) - sum(prev.samples, name, where);
    const minutes = (r.at - prev.at) / 60_000;
    return delta < 0 || minutes <= 0 ? null : Math.round((delta / minutes) * 10) / 10;
  });
}

export function gauge(readings: Reading[], name: string): number[] {
  return readings.map((r) => sum(r.samples, name));
}
