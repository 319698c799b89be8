/**
 * @module core/workflow-stats
 * How a workflow's recent runs went, worked out from their history in the
 * store (so the same on every server, and kept across restarts): the failure
 * rate and duration percentiles of the runs, and per step its attempts,
 * failures, retries, duration percentiles and queue wait (from ready, when
 * its last dependency ended or its run started, to its first attempt's
 * start: time spent waiting for a worker or a pool slot).
 */
import type { AttemptStatus, RunStatus } from './states.js';

export interface WorkflowHistory {
  runs: Array<{ id: string; status: RunStatus; startedAt: number | null; finishedAt: number | null }>;
  attempts: Array<{ stepId: string; attempt: number; status: AttemptStatus; startedAt: number; finishedAt: number | null }>;
  /** The graph tasks of those runs: when each first started and last finished. */
  tasks: Array<{ runId: string; id: string; dependsOn: string[]; startedAt: number | null; finishedAt: number | null }>;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

export interface StepStats {
  id: string;
  attempts: number;
  failed: number;
  /** Attempts after a step's first: retries. */
  retried: number;
  durationMs: Percentiles | null;
  waitMs: Percentiles | null;
}

export interface WorkflowStats {
  /** Runs looked at (the latest ones), and how many of them have ended. */
  runs: number;
  finished: number;
  /** Failed or timed out, of those ended (null: none ended). */
  failureRate: number | null;
  durationMs: Percentiles | null;
  steps: StepStats[];
}

/** Nearest-rank percentiles of a list (null when empty). */
export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

const ENDED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

export function workflowStats(h: WorkflowHistory): WorkflowStats {
  const ended = h.runs.filter((r) => ENDED.has(r.status));
  const bad = ended.filter((r) => r.status === 'failed' || r.status === 'timed_out').length;
  const steps = new Map<string, { attempts: number; failed: number; retried: number; durations: number[]; waits: number[] }>();
  const of = (id: string) => {
    let s = steps.get(id);
    if (!s) steps.set(id, (s = { attempts: 0, failed: 0, retried: 0, durations: [], waits: [] }));
    return s;
  };
  for (const a of h.attempts) {
    const s = of(a.stepId);
    s.attempts++;
    if (a.status === 'failed' || a.status === 'crashed') s.failed++;
    if (a.attempt > 1) s.retried++;
    if (a.finishedAt !== null && a.status !== 'running') s.durations.push(Math.max(0, a.finishedAt - a.startedAt));
  }
  for (const w of queueWaits(h)) of(w.stepId).waits.push(w.ms);
  return {
    runs: h.runs.length,
    finished: ended.length,
    failureRate: ended.length === 0 ? null : bad / ended.length,
    durationMs: percentiles(ended.filter((r) => r.startedAt !== null && r.finishedAt !== null).map((r) => (r.finishedAt as number) - (r.startedAt as number))),
    steps: [...steps].map(([id, s]) => ({ id, attempts: s.attempts, failed: s.failed, retried: s.retried, durationMs: percentiles(s.durations), waitMs: percentiles(s.waits) })),
  };
}

/** Each started task's wait from ready (its dependencies ended, or its run started) to its first attempt. */
function queueWaits(h: WorkflowHistory): Array<{ stepId: string; ms: number }> {
  const runStart = new Map(h.runs.map((r) => [r.id, r.startedAt]));
  const finished = new Map(h.tasks.map((t) => [`${t.runId}\u0000${t.id}`, t.finishedAt]));
  const out: Array<{ stepId: string; ms: number }> = [];
  for (const t of h.tasks) {
    if (t.startedAt === null) continue;
    let ready = t.dependsOn.length === 0 ? (runStart.get(t.runId) ?? null) : -Infinity;
    for (const d of t.dependsOn) {
      const end = finished.get(`${t.runId}\u0000${d}`);
      ready = end === undefined || end === null || ready === null ? null : Math.max(ready, end);
    }
    if (ready !== null && Number.isFinite(ready)) out.push({ stepId: t.id, ms: Math.max(0, t.startedAt - ready) });
  }
  return out;
}
