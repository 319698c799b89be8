import { describe, expect, it } from 'vitest';
import { percentiles, workflowStats, type WorkflowHistory } from '../../src/core/workflow-stats.js';

describe('workflow stats', () => {
  it('nearest-rank percentiles', () => {
    expect(percentiles([])).toBeNull();
    expect(percentiles([5])).toEqual({ p50: 5, p90: 5, p99: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentiles(hundred)).toEqual({ p50: 50, p90: 90, p99: 99 });
  });

  it('runs, attempts and queue waits: a task waits from its last dependency ending (or its run starting) to its first attempt', () => {
    const h: WorkflowHistory = {
      runs: [
        { id: 'r2', status: 'running', startedAt: 5000, finishedAt: null },
        { id: 'r1', status: 'failed', startedAt: 0, finishedAt: 900 },
        { id: 'r0', status: 'succeeded', startedAt: 0, finishedAt: 300 },
      ],
      attempts: [
        { stepId: 'a', attempt: 1, status: 'succeeded', startedAt: 10, finishedAt: 110 },
        { stepId: 'b', attempt: 1, status: 'failed', startedAt: 150, finishedAt: 170 },
        { stepId: 'b', attempt: 2, status: 'failed', startedAt: 700, finishedAt: 720 },
        { stepId: 'a', attempt: 1, status: 'running', startedAt: 5020, finishedAt: null },
      ],
      tasks: [
        { runId: 'r1', id: 'a', dependsOn: [], startedAt: 10, finishedAt: 110 },
        { runId: 'r1', id: 'b', dependsOn: ['a'], startedAt: 150, finishedAt: 720 },
        { runId: 'r1', id: 'c', dependsOn: ['b'], startedAt: null, finishedAt: null },
        { runId: 'r2', id: 'a', dependsOn: [], startedAt: 5020, finishedAt: null },
        { runId: 'r2', id: 'b', dependsOn: ['a'], startedAt: null, finishedAt: null },
      ],
    };
    const s = workflowStats(h);
    expect(s).toMatchObject({ runs: 3, finished: 2, failureRate: 0.5, durationMs: { p50: 300, p99: 900 } });
    expect(s.steps).toEqual([
      { id: 'a', attempts: 2, failed: 0, retried: 0, durationMs: { p50: 100, p90: 100, p99: 100 }, waitMs: { p50: 10, p90: 20, p99: 20 } },
      { id: 'b', attempts: 2, failed: 2, retried: 1, durationMs: { p50: 20, p90: 20, p99: 20 }, waitMs: { p50: 40, p90: 40, p99: 40 } },
    ]);
  });
});
