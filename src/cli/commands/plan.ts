/**
 * @module cli/commands/plan
 * `baton plan [FOLDER]`: what a server would serve from a folder: each
 * workflow's graph in brief, its schedules with their effective policies and
 * next five fires, and the files left out with their problems.
 */
import { DAYS, quietUntil, type QuietHoursDef } from '../../core/quiet-hours.js';
import { describeCatchUp, describeOverlap, describeWhen } from '../../core/schedule.js';
import { nextFires } from '../../triggers/fires.js';
import { COMMON_OPTIONS, help, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';

const SYNOPSIS = 'baton plan [FOLDER] [--fires N] [--json]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, fires: { type: 'string' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Shows the workflows a "baton server FOLDER" would serve: graphs in brief, schedules, their policies and next fires.');
  if (positionals.length > 1) throw new UsageError(`one folder at most\nusage: ${SYNOPSIS}`);
  const n = positiveInt(values.fires, '--fires') ?? 5;
  const { FolderCatalog } = await import('../catalog.js');
  const catalog = await FolderCatalog.load(positionals[0] ?? '.');
  const now = Date.now();
  const plan = catalog.list().map((w) => {
    const roots = w.tasks.filter((t) => t.dependsOn.length === 0).length;
    return {
      workflow: w.name,
      kind: w.kind,
      file: w.file,
      tasks: w.tasks.length,
      roots,
      schedules: w.schedules.map((s) => ({
        id: s.id,
        when: describeWhen(s),
        catchUp: describeCatchUp(s.catchUp),
        overlap: describeOverlap(s.overlap),
        jitterMs: s.jitterMs,
        next: nextFires(s, now, n).map((t) => {
          const until = quietUntil(w.quietHours, t);
          const when = new Date(t).toISOString();
          if (until === undefined) return when;
          return w.quietHours?.action === 'skip' ? `${when} (skipped: quiet hours)` : `${when} (held until ${new Date(until).toISOString()}: quiet hours)`;
        }),
      })),
      ...(w.quietHours ? { quietHours: describeQuiet(w.quietHours) } : {}),
    };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ workflows: plan, problems: catalog.problems }, null, 2) + '\n');
    return catalog.problems.length > 0 ? EXIT.usage : EXIT.ok;
  }
  for (const w of plan) {
    const graph = w.kind === 'code' ? 'code workflow' : `${w.tasks} task${w.tasks === 1 ? '' : 's'}, ${w.roots} to start with`;
    process.stdout.write(`${w.workflow}  (${w.file}; ${graph})\n`);
    if (w.quietHours) process.stdout.write(`  quiet hours: ${w.quietHours}\n`);
    if (w.schedules.length === 0) process.stdout.write('  no schedules: runs when started (baton run, the API)\n');
    for (const s of w.schedules) {
      process.stdout.write(`  schedule ${s.id}: ${s.when}; catch-up ${s.catchUp}; overlap ${s.overlap}${s.jitterMs ? `; jitter up to ${s.jitterMs / 1000}s` : ''}\n`);
      process.stdout.write(s.next.length > 0 ? `    next: ${s.next.join(', ')}\n` : '    next: none (ended)\n');
    }
  }
  for (const p of catalog.problems) process.stderr.write(`left out: ${p}\n`);
  return catalog.problems.length > 0 ? EXIT.usage : EXIT.ok;
}

function describeQuiet(q: QuietHoursDef): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const windows = q.windows.map((w) => `${w.days.length === 0 ? 'every day' : w.days.map((d) => DAYS[d]).join(',')} ${hm(w.fromMin)}-${hm(w.toMin)} ${w.timezone}`);
  return `${windows.join('; ')} (${q.action === 'skip' ? 'work in them is skipped' : 'work waits for their end'})`;
}
