/**
 * The console's reading of the Prometheus text format (its metrics page):
 * samples with labels, sums over labels, and histogram quantiles computed as
 * Prometheus' histogram_quantile computes them.
 */
import { describe, expect, it } from 'vitest';
import { labelValues, parsePrometheus, quantile, sum } from '../../src/console/metrics/prometheus.js';

const TEXT = `# HELP baton_runs_finished_total Runs finished
# TYPE baton_runs_finished_total counter
baton_runs_finished_total{workflow="a",status="succeeded"} 7
baton_runs_finished_total{workflow="a",status="failed"} 3
baton_runs_finished_total{workflow="b \\"quoted\\"",status="succeeded"} 1
baton_steps_ready 4
baton_run_duration_seconds_bucket{le="1",workflow="a",status="succeeded"} 2
baton_run_duration_seconds_bucket{le="5",workflow="a",status="succeeded"} 6
baton_run_duration_seconds_bucket{le="+Inf",workflow="a",status="succeeded"} 7
baton_run_duration_seconds_bucket{le="1",workflow="a",status="failed"} 0
baton_run_duration_seconds_bucket{le="5",workflow="a",status="failed"} 3
baton_run_duration_seconds_bucket{le="+Inf",workflow="a",status="failed"} 3
`;

describe('console metrics: the Prometheus text format', () => {
  const samples = parsePrometheus(TEXT);

  it('reads samples with their labels (escapes included) and sums over labels', () => {
    expect(samples).toHaveLength(10);
    expect(labelValues(samples, 'baton_runs_finished_total', 'workflow')).toEqual(['a', 'b "quoted"']);
    expect(sum(samples, 'baton_runs_finished_total', { workflow: 'a' })).toBe(10);
    expect(sum(samples, 'baton_runs_finished_total', { status: 'succeeded' })).toBe(8);
    expect(sum(samples, 'baton_steps_ready')).toBe(4);
  });

  it('estimates quantiles as histogram_quantile does: linear inside the bucket, summed over other labels', () => {
    // Over both statuses: buckets le=1: 2, le=5: 9, +Inf: 10. The median (rank 5) is in (1, 5]: 1 + 4 * (5 - 2) / 7.
    expect(quantile(samples, 'baton_run_duration_seconds', 0.5, { workflow: 'a' })).toBeCloseTo(1 + (4 * 3) / 7, 10);
    // Rank 1 of the succeeded ones falls in the first bucket, from 0.
    expect(quantile(samples, 'baton_run_duration_seconds', 0.1, { workflow: 'a', status: 'succeeded' })).toBeCloseTo(0.35, 10);
    // In the +Inf bucket: the highest finite bound.
    expect(quantile(samples, 'baton_run_duration_seconds', 0.99, { workflow: 'a', status: 'succeeded' })).toBe(5);
    expect(quantile(samples, 'baton_run_duration_seconds', 0.5, { workflow: 'none' })).toBeUndefined();
  });
});
