/**
 * @module console/run/timeline-model
 * The rows of a run's Gantt chart: every attempt of every step, the backoff
 * wait before a retry, and the sleeps and signal waits of code runs; and the
 * critical path (the chain of dependencies that ended last).
 */
import type { Attempt, RunDetail, Step } from '../api/types';

export interface Bar {
  start: number;
  end: number;
  kind: 'attempt' | 'backoff' | 'wait';
  status: string;
  title: string;
}

export interface Row {
  stepId: string;
  label: string;
  bars: Bar[];
  critical: boolean;
}

export function timelineRows(detail: RunDetail, now: number): { rows: Row[]; start: number; end: number } {
  const byStep = new Map<string, Attempt[]>();
  for (const a of detail.attempts) byStep.set(a.stepId, [...(byStep.get(a.stepId) ?? []), a]);
  const critical = criticalPath(detail.steps);
  const rows: Row[] = [];
  for (const s of detail.steps) {
    const attempts = (byStep.get(s.id) ?? []).sort((a, b) => a.attempt - b.attempt);
    if (attempts.length === 0) {
      if ((s.kind === 'sleep' || s.kind === 'signal' || s.kind === 'child') && s.startedAt !== null) {
        const end = s.finishedAt ?? now;
        rows.push({ stepId: s.id, label: s.id, critical: critical.has(s.id), bars: [{ start: s.startedAt, end, kind: 'wait', status: s.status, title: `${s.id}: ${s.kind} ${s.status}` }] });
      }
      continue;
    }
    attempts.forEach((a, i) => {
      const bars: Bar[] = [];
      const prev = attempts[i - 1];
      if (prev?.finishedAt != null && a.startedAt > prev.finishedAt) {
        bars.push({ start: prev.finishedAt, end: a.startedAt, kind: 'backoff', status: 'retrying', title: `${s.id}: backoff before attempt ${a.attempt}` });
      }
      const end = a.finishedAt ?? (a.status === 'running' ? now : a.startedAt);
      const exit = a.exitCode !== null ? `, exit ${a.exitCode}` : '';
      bars.push({ start: a.startedAt, end, kind: 'attempt', status: a.status, title: `${s.id} attempt ${a.attempt}: ${a.status}${exit}${a.error ? ` (${a.error})` : ''}` });
      rows.push({ stepId: s.id, label: attempts.length > 1 ? `${s.id} #${a.attempt}` : s.id, critical: critical.has(s.id), bars });
    });
  }
  const times = rows.flatMap((r) => r.bars.flatMap((b) => [b.start, b.end]));
  const start = detail.run.startedAt ?? (times.length ? Math.min(...times) : now);
  const end = Math.max(start + 1, ...times, detail.run.finishedAt ?? start);
  return { rows, start, end };
}

/** The steps on the chain that ended last: from the last step to finish, back through the dependency that finished last. */
export function criticalPath(steps: Step[]): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const done = steps.filter((s) => s.finishedAt !== null && s.kind === 'task');
  let at = done.sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))[0];
  const path = new Set<string>();
  while (at && !path.has(at.id)) {
    path.add(at.id);
    at = at.dependsOn
      .map((d) => byId.get(d))
      .filter((d): d is Step => d !== undefined && d.finishedAt !== null)
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))[0];
  }
  return path.size > 1 ? path : new Set();
}

/** Tick marks for a span of ms: a round step giving about `count` marks. */
export function ticks(span: number, count: number): number[] {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];
  const step = steps.find((s) => span / s <= count) ?? 86_400_000;
  const out: number[] = [];
  for (let t = 0; t <= span; t += step) out.push(t);
  return out;
}
