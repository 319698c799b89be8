/**
 * @module cli/home
 * Where state lives (`.baton/` under the working directory, or --home /
 * BATON_HOME) and the composition root that opens the store and builds the
 * engine. The only place that picks a concrete store.
 */
import { resolve } from 'node:path';
import type { ChaosDef } from '../core/model.js';
import type { ExpressionHost } from '../core/expressions.js';
import type { Store } from '../store/store.js';
import type { Engine } from '../engine/engine.js';
import type { SpawnerClient } from '../engine/spawner/spawner-client.js';
import { UsageError } from './exit.js';

export function homeDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.BATON_HOME ?? '.baton');
}

export type Durability = 'full' | 'normal';

export function durability(): Durability {
  const v = process.env.BATON_DURABILITY;
  return v === 'normal' ? 'normal' : 'full';
}

/** The shared store's URL: --db, else BATON_DB (postgres://...); none means the embedded SQLite file. */
export function dbUrl(flag: string | undefined): string | undefined {
  const url = flag ?? process.env.BATON_DB;
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(`--db / BATON_DB must be a PostgreSQL URL (postgres://user@host:5432/db), got "${url}"`);
  }
  return url;
}

export async function openStore(home: string, options: { mustExist?: boolean; db?: string | undefined } = {}): Promise<Store> {
  const url = dbUrl(options.db);
  if (url) {
    const { PgStore } = await import('../store/postgres/pg-store.js');
    const store = new PgStore({ url });
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => undefined);
      const { BatonError } = await import('../core/errors.js');
      const where = url.replace(/\/\/[^@/]*@/, '//…@');
      throw new BatonError('STORE', `cannot use the PostgreSQL database at ${where}: ${(error as Error).message}`, { cause: error });
    }
    return store;
  }
  const path = resolve(home, 'baton.db');
  if (options.mustExist) {
    const { existsSync } = await import('node:fs');
    if (!existsSync(path)) {
      const { BatonError } = await import('../core/errors.js');
      throw new BatonError('NOT_FOUND', `no baton state at ${path} (runs are kept under the directory where "baton run" ran, or --home / BATON_HOME)`);
    }
  }
  const { SqliteStore } = await import('../store/sqlite/sqlite-store.js');
  const store = new SqliteStore({ path, durability: durability() });
  await store.migrate();
  return store;
}

/**
 * The engine for one CLI command. Commands are started from a spawner
 * process (engine/spawner), off this event loop, and ended with it if this
 * process is killed. `close()` ends the spawner.
 */
export async function buildEngine(
  store: Store,
  home: string,
  spawner: SpawnerClient,
  extra: { chaos?: ChaosDef; expressions?: boolean } = {},
): Promise<{ engine: Engine; close: () => void }> {
  const [{ createEngine }, expressionHost, { loadWorkflowRef, loadFunctionRef }] = await Promise.all([
    import('../engine/engine.js'),
    loadExpressionHost(extra.expressions ?? true),
    import('../spec/load-code.js'),
  ]);
  const engine = createEngine({ store, expr: expressionHost, scratchDir: resolve(home, 'tmp'), launch: (spec) => spawner.run(spec),
    load: loadWorkflowRef,
    loadFunction: loadFunctionRef,
    ...(extra.chaos ? { chaos: extra.chaos } : {}),
  });
  return { engine, close: () => spawner.close() };
}

/**
 * The engine's expression host. The CEL library is loaded with it unless
 * `expressions` is false: the caller knows its workflows have no `if:` and
 * no `${{ }}` (spec/expression-language.ts); workflows loaded later load it
 * themselves when they need it.
 */
export async function loadExpressionHost(expressions = true): Promise<ExpressionHost> {
  const [{ expressionHost }, { loadExpressions }] = await Promise.all([import('../spec/expression-host.js'), import('../spec/load-expressions.js')]);
  if (expressions) await loadExpressions();
  return expressionHost;
}

/** Start the spawner process first thing, so it boots while the rest loads. */
export async function startSpawner(): Promise<SpawnerClient> {
  const { SpawnerClient } = await import('../engine/spawner/spawner-client.js');
  const spawner = new SpawnerClient();
  spawner.warm();
  return spawner;
}

/** Resolve a run id or unique prefix. */
export async function resolveRunId(store: Store, given: string): Promise<string> {
  const id = await store.findRunId(given);
  if (!id) {
    const { BatonError } = await import('../core/errors.js');
    throw new BatonError('NOT_FOUND', `no run "${given}" (see "baton runs")`);
  }
  return id;
}
