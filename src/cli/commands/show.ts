/**
 * @module cli/commands/show
 * `baton show RUN`: the run, its steps and their attempts.
 */
import { formatDuration } from '../../core/duration.js';
import { describeWait } from '../../core/flow.js';
import { COMMON_OPTIONS, help, onePositional, parse } from '../args.js';
import { EXIT } from '../exit.js';
import { homeDir, openStore, resolveRunId } from '../home.js';
import { runReport } from '../render/run-report.js';
import { SYMBOL, statusColor, styleFor } from '../render/style.js';
import { table } from '../render/table.js';

const SYNOPSIS = 'baton show RUN [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Shows a run: status, inputs, and each step with its attempts, exit code and times.');
  const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
  try {
    const runId = await resolveRunId(store, onePositional(positionals, 'run id', SYNOPSIS));
    const report = await runReport(store, runId);
    if (!report) return EXIT.usage;
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return EXIT.ok;
    }
    const s = styleFor(process.stdout);
    const out: string[] = [];
    out.push(`${s.paint('bold', `run ${report.id}`)}  ${report.workflow}  ${s.paint(statusColor(report.status), report.status)}`);
    if (report.runAttempt > 1) out.push(`  run attempt ${report.runAttempt}`);
    out.push(`  started  ${report.startedAt ?? '-'}${report.durationMs !== null ? `  (${formatDuration(report.durationMs)})` : ''}`);
    if (report.input !== null && (typeof report.input !== 'object' || Object.keys(report.input).length > 0)) out.push(`  input    ${JSON.stringify(report.input)}`);
    if (report.source) out.push(`  ${report.kind === 'code' ? 'module' : 'file  '}   ${report.source}`);
    if (report.parentId) out.push(`  parent   ${report.parentId}`);
    if (report.userStatus !== undefined) out.push(`  status   ${JSON.stringify(report.userStatus)}`);
    if (report.wakeAt && report.status === 'waiting') out.push(`  wakes    ${report.wakeAt}`);
    if (report.result !== undefined) out.push(`  result   ${JSON.stringify(report.result)}`);
    if (report.error) out.push(`  error    ${s.paint('red', report.error)}`);
    for (const line of describeWait(await store.flow(runId))) out.push(`  ${s.paint('yellow', line)}`);
    out.push('');
    // Journaled values (now, random, uuid) are in --json; the table shows what ran.
    const rows = report.steps.filter((st) => st.kind !== 'value').map((st) => [
      `${s.paint(statusColor(st.status), SYMBOL[st.status] ?? '?')} ${st.id}`,
      s.paint(statusColor(st.status), st.status),
      String(st.attempts),
      st.exitCode === null ? '-' : String(st.exitCode),
      st.durationMs === null ? '-' : formatDuration(st.durationMs),
      st.error ?? '',
    ]);
    process.stdout.write(out.join('\n') + '\n' + table(['STEP', 'STATUS', 'ATTEMPTS', 'EXIT', 'DURATION', 'NOTE'], rows));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
