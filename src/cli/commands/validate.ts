/**
 * @module cli/commands/validate
 * `baton validate FILE...`: every problem, one `file:line:col: message` line
 * each, exit 2 if there is any.
 */
import { COMMON_OPTIONS, help, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { loadOrReport } from '../load.js';

const SYNOPSIS = 'baton validate FILE... [--json]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Checks workflow files and prints every problem as file:line:col: message. Exit 2 if any.');
  if (positionals.length === 0) throw new UsageError(`expected at least one file\nusage: ${SYNOPSIS}`);
  if (values.json) {
    const { loadWorkflowFile } = await import('../../spec/loader.js');
    const results = [];
    for (const file of positionals) {
      const r = await loadWorkflowFile(file);
      results.push(r.ok ? { file, ok: true, workflow: r.workflow.name, tasks: r.workflow.tasks.length } : { file, ok: false, problems: r.problems });
    }
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.usage;
  }
  let ok = true;
  for (const file of positionals) {
    const def = await loadOrReport(file);
    if (def) process.stdout.write(`${file}: ok (workflow "${def.name}", ${def.tasks.length} task${def.tasks.length === 1 ? '' : 's'})\n`);
    else ok = false;
  }
  return ok ? EXIT.ok : EXIT.usage;
}
