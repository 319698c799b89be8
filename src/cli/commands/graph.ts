/**
 * @module cli/commands/graph
 * `baton graph FILE --format text|mermaid|dot`.
 */
import { COMMON_OPTIONS, help, onePositional, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { loadOrReport } from '../load.js';
import { formatGraph, type GraphFormat } from '../render/graph-format.js';

const SYNOPSIS = 'baton graph FILE [--format text|mermaid|dot]';
const FORMATS = ['text', 'mermaid', 'dot'];

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, format: { type: 'string', short: 'f', default: 'text' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Prints the task graph: by stage (text), or as Mermaid or Graphviz dot source.');
  if (!FORMATS.includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  const def = await loadOrReport(onePositional(positionals, 'workflow file', SYNOPSIS));
  if (!def) return EXIT.usage;
  process.stdout.write(formatGraph(def, values.format as GraphFormat));
  return EXIT.ok;
}
