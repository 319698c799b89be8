/**
 * @module cli/pools
 * Resource pools from the command line: `--pool NAME=SLOTS` (server and
 * run), and the pools a workflow's tasks name that no one has defined.
 */
import { UsageError } from './exit.js';
import type { WorkflowDef } from '../core/model.js';
import type { Store } from '../store/store.js';

const POOL = /^([A-Za-z_][A-Za-z0-9_.-]*)=(\d+)$/;

/** `db=2` -> ['db', 2]; a usage error names what was expected. */
export function parsePoolFlags(flags: readonly string[] | undefined): Array<[string, number]> {
  return (flags ?? []).map((flag) => {
    const m = POOL.exec(flag);
    if (!m || Number(m[2]) < 1) throw new UsageError(`--pool takes NAME=SLOTS with a pool name and a whole number ≥ 1 of slots, like db=2; got "${flag}"`);
    return [m[1] as string, Number(m[2])];
  });
}

export async function definePools(store: Store, pools: ReadonlyArray<[string, number]>): Promise<void> {
  for (const [name, slots] of pools) await store.setPool(name, slots);
}

/** Pools the tasks of these workflows take that the store does not define: "task deploy/migrate takes pool db". */
export async function undefinedPools(store: Store, defs: readonly WorkflowDef[]): Promise<string[]> {
  const known = new Set((await store.listPools()).filter((p) => p.slots !== null).map((p) => p.name));
  const missing: string[] = [];
  for (const def of defs) {
    for (const t of def.tasks) if (t.pool !== undefined && !known.has(t.pool)) missing.push(`task ${def.name}/${t.id} takes a slot of pool "${t.pool}", which is not defined`);
  }
  return missing;
}
