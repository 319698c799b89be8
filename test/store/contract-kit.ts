/**
 * What the parts of the Store contract share: the factory a backend's test
 * file supplies, the constants, and one describe block's set-up (a fresh
 * store on a manual clock for each test, closed and cleaned up after it)
 * with the helpers its tests call.
 */
import { afterEach, beforeEach, it } from 'vitest';
import type { WorkflowDef } from '../../src/core/model.js';
import type { Claim, NewStep, Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/manual-clock.js';

export type StoreFactory = (clock: ManualClock) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** Tests a backend does not run, by name, each with its reason. */
export type Skip = Record<string, string>;

export const DEF: WorkflowDef = { name: 'wf', inputs: {}, env: {}, secrets: [], failFast: false, tasks: [] };
export const OWNER = 'host:1';
export const LEASE = 30_000;

/** The store of the test under way and the clock it runs on. */
export interface Live {
  clock: ManualClock;
  store: Store;
}

/**
 * Call inside a describe block: before each test a fresh store, handed to
 * `use` (the block keeps it in its own `store` and `clock`), closed and
 * cleaned up after it. `next` numbers new run ids: the block's own counter,
 * so the ids its tests make by hand and the helpers' never meet.
 */
export function contractKit(factory: StoreFactory, skip: Skip, use: (live: Live) => void, next: () => number) {
  let live: Live;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const clock = new ManualClock();
    const made = await factory(clock);
    live = { clock, store: made.store };
    cleanup = made.cleanup;
    use(live);
  });
  afterEach(async () => {
    await live.store.close();
    await cleanup();
  });

  const t = (name: string, fn: () => Promise<void>) => (skip[name] ? it.skip(`${name} (${skip[name]})`, fn) : it(name, fn));
  const newRun = async (steps: NewStep[]) => {
    const id = `run${next()}`;
    await live.store.createRun({ id, workflow: 'wf', definition: DEF, input: { a: 1 }, steps }, OWNER);
    return id;
  };
  const claim = (runId: string, limit = 10) => live.store.claimSteps({ runId, owner: OWNER, limit, leaseMs: LEASE });
  // A worker's claim of ready steps of any run submitted for workers: a round trip with nothing to record.
  const claimAny = async (limit: number) => (await live.store.stepBatch({ finishes: [], claim: { owner: OWNER, limit, leaseMs: LEASE } })).claims;
  const nextDueAny = async () => (await live.store.stepBatch({ finishes: [], claim: { owner: OWNER, limit: 1, leaseMs: LEASE } })).nextDue;
  const ids = (claims: Claim[]) => claims.map((c) => c.stepId).sort();
  const status = async (runId: string) => Object.fromEntries((await live.store.getSteps(runId)).map((s) => [s.id, s.status]));

  return { t, newRun, claim, claimAny, nextDueAny, ids, status };
}
