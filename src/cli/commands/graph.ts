/**
 * @module cli/commands/graph
 * `baton graph FILE|RUN --format text|mermaid|dot`: the task graph of a
 * workflow file or of a run; for a run of a code workflow, the steps it
 * has taken so far.
 */
import { existsSync } from 'node:fs';
import { isCodeRef } from '../../core/workflow-code.js';
import { homeDir, openStore, resolveRunId } from '../home.js';
import { takenGraph } from '../render/code-graph.js';
import { COMMON_OPTIONS, help, onePositional, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { loadOrReport } from '../load.js';
import { formatGraph, type GraphFormat } from '../render/graph-format.js';

const SYNOPSIS = 'baton graph FILE|RUN [--format text|mermaid|dot] [--home DIR]';
const FORMATS = ['text', 'mermaid', 'dot'];

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, format: { type: 'string', short: 'f', default: 'text' } }, SYNOPSIS);
  if (values.help) {
    return help(SYNOPSIS, 'Prints the task graph of a workflow file or a run (a code run: the steps taken so far): by stage (text), or as Mermaid or Graphviz dot source.');
  }
  if (!FORMATS.includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  const given = onePositional(positionals, 'workflow file or run id', SYNOPSIS);
  if (/\.(ts|mts|js|mjs)$/.test(given)) {
    throw new UsageError(`${given} is a code workflow: its graph is the steps a run takes; give a run id ("baton graph RUN")`);
  }
  if (!existsSync(given)) {
    const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
    try {
      const runId = await resolveRunId(store, given);
      const run = await store.getRun(runId);
      if (!run) return EXIT.usage;
      const def = isCodeRef(run.definition) ? takenGraph(run.workflow, await store.getSteps(runId)) : run.definition;
      process.stdout.write(formatGraph(def, values.format as GraphFormat));
      return EXIT.ok;
    } finally {
      await store.close();
    }
  }
  const def = await loadOrReport(given);
  if (!def) return EXIT.usage;
  process.stdout.write(formatGraph(def, values.format as GraphFormat));
  return EXIT.ok;
}
