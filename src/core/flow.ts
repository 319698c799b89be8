/**
 * @module core/flow
 * Flow control: how much work may go at once, and what waits.
 *
 * A run may pass gates: all runs (a server's `--max-runs`), the runs of its
 * workflow (`concurrency: {runs}`), the runs that share a key
 * (`concurrency: {key, limit}`). A run whose gates are full is created
 * `queued` and starts when a run holding one of them ends, higher priority
 * first, then oldest.
 *
 * A task may take a slot of a named pool (`pool: db`). When its dependencies
 * are met and the pool is full it is `queued`; it holds its slot from the
 * moment it becomes ready until it ends (running, and retrying between
 * attempts), and a slot that frees goes to the queued task of highest
 * priority, then the oldest.
 *
 * The counts are never kept as counters: a gate's is its rows marked held,
 * a pool's the number of its steps ready, running or retrying, both read
 * under a lock in the transaction that admits, so they cannot drift.
 */
import type { RunConcurrency } from './model.js';

export interface RunGate {
  /** `*` (all runs), `workflow:<name>`, or `key:<name>:<value>`. */
  key: string;
  limit: number;
}

export const ALL_RUNS_GATE = '*';

/** The gates a new run of `workflow` passes; `keyValue` is its rendered `concurrency.key`. */
export function runGates(workflow: string, limits: RunConcurrency | undefined, keyValue: string | undefined, maxRuns?: number): RunGate[] {
  const gates: RunGate[] = [];
  if (maxRuns !== undefined) gates.push({ key: ALL_RUNS_GATE, limit: maxRuns });
  if (limits?.runs !== undefined) gates.push({ key: `workflow:${workflow}`, limit: limits.runs });
  if (limits?.key !== undefined && keyValue !== undefined) gates.push({ key: `key:${workflow}:${keyValue}`, limit: limits.limit ?? 1 });
  return gates;
}

/** A gate in words: `all runs`, `runs of deploy`, `runs of deploy with key "acme"`. */
export function describeGate(key: string): string {
  if (key === ALL_RUNS_GATE) return 'all runs';
  if (key.startsWith('workflow:')) return `runs of ${key.slice('workflow:'.length)}`;
  const rest = key.slice('key:'.length);
  const colon = rest.indexOf(':');
  return `runs of ${rest.slice(0, colon)} with key "${rest.slice(colon + 1)}"`;
}

export interface PoolView {
  name: string;
  /** Null: no such pool is defined; its tasks wait until one is. */
  slots: number | null;
  /** Steps holding a slot (ready, running, retrying). */
  used: number;
  /** Steps waiting for a slot. */
  queued: number;
}

export interface GateView {
  key: string;
  limit: number;
  /** Runs holding it now. */
  held: number;
  /** Runs waiting for it. */
  queued: number;
}

/** Why a run, or some of its steps, wait. */
export interface FlowView {
  /** The run's gates (empty when it has none). */
  gates: GateView[];
  /** Its queued steps, each with its pool's state. */
  steps: Array<{ stepId: string; pool: PoolView }>;
}

/** One line for a waiting run or step: what it waits for, and how full that is. */
export function describeWait(flow: FlowView): string[] {
  const lines: string[] = [];
  for (const g of flow.gates) {
    if (g.held >= g.limit) lines.push(`waiting for ${describeGate(g.key)}: ${g.held} of ${g.limit} running, ${g.queued} queued`);
  }
  for (const s of flow.steps) {
    const p = s.pool;
    lines.push(p.slots === null ? `${s.stepId} waits for pool ${p.name}, which is not defined (baton server --pool ${p.name}=N, or POST /api/pools/${p.name})` : `${s.stepId} waits for pool ${p.name}: ${p.used} of ${p.slots} slots taken, ${p.queued} queued`);
  }
  return lines;
}
