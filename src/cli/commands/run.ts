/**
 * @module cli/commands/run
 * `baton run FILE`: validate, resolve inputs and secrets, start a durable run
 * in the embedded store and follow it live.
 */
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { follow } from '../follow.js';
import { buildEngine, dbUrl, homeDir, openStore, startSpawner } from '../home.js';
import { parseInputFlags, readSecrets } from '../inputs.js';
import { loadOrReport } from '../load.js';
import type { SpawnerClient } from '../../engine/spawner/spawner-client.js';
import type { WorkflowDef } from '../../core/model.js';
import type { CodeWorkflowRef } from '../../core/workflow-code.js';
import type { Store } from '../../store/store.js';

const SYNOPSIS = 'baton run FILE [--input name=value | --input JSON]... [--concurrency N] [--pool NAME=SLOTS]... [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      input: { type: 'string', short: 'i', multiple: true, default: [] },
      concurrency: { type: 'string', short: 'c' },
      detach: { type: 'boolean', default: false },
      pool: { type: 'string', multiple: true },
    },
    SYNOPSIS,
  );
  if (values.help) {
    return help(SYNOPSIS, `
Runs the workflow in FILE and records it under .baton/ (or --home DIR, BATON_HOME).
FILE is a YAML or JSON task graph (independent tasks run in parallel, up to --concurrency,
default the file's "concurrency", else 4), or a TypeScript/JavaScript module whose default
export is a defineWorkflow(...) (its input is the JSON given with --input).

  -i, --input name=value   set an input (repeatable), or --input '{"name": "value"}'
  -c, --concurrency N      tasks at once
      --pool NAME=SLOTS    define a resource pool (kept in the store): tasks with pool: NAME
                           take one of its SLOTS while they run (again for more pools)
      --json               print only the final run report as JSON
      --home DIR           where the state lives (default ./.baton)
      --db URL             a shared PostgreSQL store (or BATON_DB): a task graph is submitted
                           for workers ("baton worker --db URL") and followed from the store
      --detach             with --db: submit, print the run id, and return

Exit codes: 0 succeeded, 1 failed, 2 invalid input, 130 interrupted (the run is cancelled).`);
  }
  const file = onePositional(positionals, 'workflow file', SYNOPSIS);
  const spawner = startSpawner();
  const { isCodeFile } = await import('../../spec/load-code.js');
  if (isCodeFile(file)) return runCode(file, values, await spawner);
  const def = await loadOrReport(file);
  if (!def) {
    (await spawner).close();
    return EXIT.usage;
  }
  const { resolveInputs } = await import('../../spec/inputs.js');
  const resolved = resolveInputs(def, parseInputFlags(values.input));
  if (!resolved.ok) {
    (await spawner).close();
    throw new UsageError(resolved.errors.join('\n'));
  }
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const { parsePoolFlags, definePools, undefinedPools } = await import('../pools.js');
  const pools = parsePoolFlags(values.pool);
  const home = homeDir(values.home);
  if (dbUrl(values.db)) {
    (await spawner).close();
    const shared = await openStore(home, { db: values.db });
    await definePools(shared, pools);
    for (const m of await undefinedPools(shared, [def])) process.stderr.write(`baton: ${m}: its tasks wait until it is (baton pool set NAME SLOTS)\n`);
    return submit(def, resolved.values, shared, { json: values.json, detach: values.detach });
  }
  if (values.detach) throw new UsageError('--detach goes with --db: an embedded run is driven by this process');
  const secrets = readSecrets(def);
  const store = await openStore(home, { db: values.db });
  await definePools(store, pools);
  const missing = await undefinedPools(store, [def]);
  if (missing.length > 0) {
    await store.close();
    (await spawner).close();
    throw new UsageError(`${missing.join('\n')}\npass --pool NAME=SLOTS (or define it once: baton pool set NAME SLOTS)`);
  }
  const { mayUseExpressions } = await import('../../spec/expression-language.js');
  const { engine, close } = await buildEngine(store, home, await spawner, { expressions: mayUseExpressions(def) });
  return follow(engine, store, () => engine.start(def, { input: resolved.values, secrets, ...(concurrency ? { concurrency } : {}) }), { json: values.json }).finally(close);
}

async function runCode(
  file: string,
  values: { input: string[]; json?: boolean | undefined; home?: string | undefined; db?: string | undefined; detach?: boolean | undefined },
  spawner: SpawnerClient,
): Promise<number> {
  const { resolve } = await import('node:path');
  const { loadCodeWorkflow } = await import('../../spec/load-code.js');
  let workflow;
  let input: unknown;
  try {
    workflow = await loadCodeWorkflow(file);
    input = parseCodeInput(values.input);
  } catch (error) {
    spawner.close();
    throw error;
  }
  const home = homeDir(values.home);
  if (dbUrl(values.db)) {
    spawner.close();
    const { codeDefinition } = await import('../remote-run.js');
    const definition = codeDefinition(workflow, resolve(file));
    return submit(definition, input, await openStore(home, { db: values.db }), { json: values.json === true, detach: values.detach === true });
  }
  if (values.detach) throw new UsageError('--detach goes with --db: an embedded run is driven by this process');
  const store = await openStore(home, { db: values.db });
  const { engine, close } = await buildEngine(store, home, spawner);
  return follow(engine, store, () => engine.start(workflow, { input, module: resolve(file) }), { json: values.json === true }).finally(close);
}

/** A code workflow's input: one JSON value (`--input '{"total": 1200}'`), or name=value pairs as an object. */
function parseCodeInput(flags: string[]): unknown {
  if (flags.length === 0) return {};
  if (flags.length === 1 && !/^[A-Za-z_][\w.-]*=/.test(flags[0] as string)) {
    try {
      return JSON.parse(flags[0] as string) as unknown;
    } catch (error) {
      throw new UsageError(`--input: not JSON (${(error as Error).message}); give a JSON value or name=value`);
    }
  }
  return parseInputFlags(flags);
}

/** Submit a run to the shared store for workers, and follow it there (unless --detach). */
async function submit(def: WorkflowDef | CodeWorkflowRef, input: unknown, store: Store, opts: { json: boolean; detach: boolean }): Promise<number> {
  const { RemoteRun, submitRun } = await import('../remote-run.js');
  const { newRunId } = await import('../../engine/run-id.js');
  const runId = newRunId(Date.now());
  if (opts.detach) {
    try {
      await submitRun(store, def, input, { runId });
      process.stdout.write(`${runId}\n`);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  }
  const remote = new RemoteRun(store, runId);
  return follow(
    remote,
    store,
    async () => {
      await submitRun(store, def, input, { runId });
      const hint = setTimeout(() => {
        if (!opts.json) process.stderr.write(`baton: run ${runId} waits for a worker: start one with "baton worker --db ..." on any machine\n`);
      }, 3000);
      remote.on('step:started', () => clearTimeout(hint));
      const handle = remote.start();
      void handle.result.finally(() => clearTimeout(hint));
      return handle;
    },
    { json: opts.json },
  );
}
