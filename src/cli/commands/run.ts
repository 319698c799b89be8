/**
 * @module cli/commands/run
 * `baton run FILE`: validate, resolve inputs and secrets, start a durable run
 * in the embedded store and follow it live.
 */
import { COMMON_OPTIONS, help, onePositional, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { follow } from '../follow.js';
import { buildEngine, homeDir, openStore, startSpawner } from '../home.js';
import { parseInputFlags, readSecrets } from '../inputs.js';
import { loadOrReport } from '../load.js';

const SYNOPSIS = 'baton run FILE [--input name=value]... [--concurrency N] [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...COMMON_OPTIONS, input: { type: 'string', short: 'i', multiple: true, default: [] }, concurrency: { type: 'string', short: 'c' } },
    SYNOPSIS,
  );
  if (values.help) {
    return help(SYNOPSIS, `
Runs the workflow in FILE (YAML or JSON) and records it under .baton/ (or --home DIR,
BATON_HOME). Independent tasks run in parallel, up to --concurrency (default: the file's
"concurrency", else 4).

  -i, --input name=value   set an input (repeatable), or --input '{"name": "value"}'
  -c, --concurrency N      tasks at once
      --json               print only the final run report as JSON
      --home DIR           where the state lives (default ./.baton)

Exit codes: 0 succeeded, 1 failed, 2 invalid input, 130 interrupted (the run is cancelled).`);
  }
  const file = onePositional(positionals, 'workflow file', SYNOPSIS);
  const spawner = startSpawner();
  const def = await loadOrReport(file);
  if (!def) {
    (await spawner).close();
    return EXIT.usage;
  }
  const { resolveInputs } = await import('../../spec/index.js');
  const resolved = resolveInputs(def, parseInputFlags(values.input));
  if (!resolved.ok) {
    (await spawner).close();
    throw new UsageError(resolved.errors.join('\n'));
  }
  const secrets = readSecrets(def);
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const home = homeDir(values.home);
  const store = await openStore(home);
  const { engine, close } = await buildEngine(store, home, await spawner);
  return follow(engine, store, () => engine.start(def, { input: resolved.values, secrets, ...(concurrency ? { concurrency } : {}) }), { json: values.json }).finally(close);
}
