/**
 * @module cli/commands/schedule
 * `baton schedule simulate WORKFLOW --days 30 [--down FROM..TO] [--from T]`:
 * the fires of a workflow's schedules over a span of days, as the server
 * would make them, and what a downtime would cause: the fires it misses and
 * the catch-up when the server is back (the schedule's policy).
 */
import { describeCatchUp, describeWhen } from '../../core/schedule.js';
import { firesBetween } from '../../triggers/fires.js';
import { catchUp } from '../../triggers/scheduler.js';
import { COMMON_OPTIONS, help, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';

const SYNOPSIS = 'baton schedule simulate WORKFLOW [--days 30] [--down FROM..TO] [--from TIME] [--folder DIR] [--json]';

function time(text: string, what: string): number {
  const t = /(Z|[+-]\d\d:?\d\d)$/i.test(text.trim()) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) throw new UsageError(`${what} must be a date-time with a zone, like 2026-12-01T09:00:00Z, got "${text}"`);
  return t;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, days: { type: 'string' }, down: { type: 'string' }, from: { type: 'string' }, folder: { type: 'string' } }, SYNOPSIS);
  if (values.help) return help(SYNOPSIS, 'Lists when a workflow\'s schedules fire over the next days, and the catch-up a downtime (--down FROM..TO) would cause. WORKFLOW is a file, or a name in --folder (default: here).');
  if (positionals[0] !== 'simulate' || positionals.length !== 2) throw new UsageError(`usage: ${SYNOPSIS}`);
  const days = positiveInt(values.days, '--days') ?? 30;
  const from = values.from ? time(values.from, '--from') : Date.now();
  const until = from + days * 86_400_000;
  let down: [number, number] | undefined;
  if (values.down !== undefined) {
    const [a, b] = values.down.split('..');
    if (a === undefined || b === undefined) throw new UsageError(`--down must be FROM..TO, like 2026-12-01T00:00:00Z..2026-12-02T06:00:00Z, got "${values.down}"`);
    down = [time(a, '--down FROM'), time(b, '--down TO')];
    if (down[1] <= down[0]) throw new UsageError('--down: TO must come after FROM');
  }
  const target = positionals[1] as string;
  const { FolderCatalog } = await import('../catalog.js');
  const { dirname, basename, resolve } = await import('node:path');
  const { statSync } = await import('node:fs');
  const isFile = statSync(target, { throwIfNoEntry: false })?.isFile() === true;
  const catalog = await FolderCatalog.load(isFile ? dirname(resolve(target)) : (values.folder ?? '.'));
  const entry = isFile ? catalog.list().find((w) => resolve(catalog.folder, w.file) === resolve(target)) : catalog.get(target);
  if (!entry) {
    const problems = catalog.problems.filter((p) => p.includes(basename(target)));
    throw new UsageError(problems.length > 0 ? problems.join('\n') : `no workflow "${target}"${isFile ? '' : ` in ${catalog.folder} (see baton plan)`}`);
  }
  if (entry.schedules.length === 0) throw new UsageError(`workflow ${entry.name} has no schedules (on.schedule)`);
  const out = entry.schedules.map((s) => {
    const due = firesBetween(s, from - 1, until, 1_000_000);
    const missed = down ? due.filter((d) => d > (down as [number, number])[0] && d <= (down as [number, number])[1]) : [];
    const back = down ? catchUp(s, missed, down[1]) : { fire: [], skip: [] };
    return {
      schedule: s.id,
      when: describeWhen(s),
      catchUp: describeCatchUp(s.catchUp),
      fires: due.filter((d) => !missed.includes(d)).map((d) => new Date(d).toISOString()),
      ...(down ? { down: { from: new Date(down[0]).toISOString(), to: new Date(down[1]).toISOString(), missed: missed.length, firedOnReturn: back.fire.map((d) => new Date(d).toISOString()), skipped: back.skip.length } } : {}),
    };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ workflow: entry.name, from: new Date(from).toISOString(), days, schedules: out }, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const s of out) {
    process.stdout.write(`${entry.name} schedule ${s.schedule}: ${s.when}; catch-up ${s.catchUp}\n`);
    process.stdout.write(`  ${s.fires.length} fire(s) in ${days} day(s) from ${new Date(from).toISOString()}${s.down ? ' (outside the downtime)' : ''}\n`);
    for (const f of s.fires.slice(0, 50)) process.stdout.write(`    ${f}\n`);
    if (s.fires.length > 50) process.stdout.write(`    ... ${s.fires.length - 50} more\n`);
    if (s.down) {
      process.stdout.write(`  down ${s.down.from} .. ${s.down.to}: ${s.down.missed} fire(s) missed; back up, ${s.down.firedOnReturn.length} fire(s) at once, ${s.down.skipped} skipped\n`);
      for (const f of s.down.firedOnReturn) process.stdout.write(`    catch-up run for ${f}\n`);
    }
  }
  return EXIT.ok;
}
