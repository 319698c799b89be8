/**
 * @module cli/commands/runs
 * `baton runs`: recent runs, newest first.
 */
import { formatDuration } from '../../core/duration.js';
import { RUN_STATUSES, type RunStatus } from '../../core/states.js';
import { COMMON_OPTIONS, help, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore } from '../home.js';
import { statusColor, styleFor } from '../render/style.js';
import { ago, table } from '../render/table.js';

const SYNOPSIS = 'baton runs [--workflow NAME] [--status STATUS] [--limit N] [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...COMMON_OPTIONS, workflow: { type: 'string', short: 'w' }, status: { type: 'string', short: 's' }, limit: { type: 'string', short: 'n' } },
    SYNOPSIS,
  );
  if (values.help) return help(SYNOPSIS, 'Lists recent runs, newest first (default 20).');
  if (values.status && !(RUN_STATUSES as readonly string[]).includes(values.status)) {
    throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}, got "${values.status}"`);
  }
  const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
  try {
    const runs = await store.listRuns({
      limit: positiveInt(values.limit, '--limit') ?? 20,
      ...(values.workflow ? { workflow: values.workflow } : {}),
      ...(values.status ? { status: values.status as RunStatus } : {}),
    });
    if (values.json) {
      const out = runs.map((r) => ({
        id: r.id,
        workflow: r.workflow,
        status: r.status,
        runAttempt: r.runAttempt,
        createdAt: new Date(r.createdAt).toISOString(),
        finishedAt: r.finishedAt === null ? null : new Date(r.finishedAt).toISOString(),
        durationMs: r.startedAt !== null && r.finishedAt !== null ? r.finishedAt - r.startedAt : null,
      }));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return EXIT.ok;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet\n');
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const rows = runs.map((r) => [
      r.id,
      r.workflow,
      style.paint(statusColor(r.status), r.status),
      ago(r.createdAt),
      r.startedAt !== null && r.finishedAt !== null ? formatDuration(r.finishedAt - r.startedAt) : '-',
    ]);
    process.stdout.write(table(['RUN', 'WORKFLOW', 'STATUS', 'STARTED', 'DURATION'], rows));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
