/**
 * @module core/quiet-hours
 * Quiet hours of a workflow: windows (days of the week, from-to local time,
 * in a time zone) in which none of its work starts: scheduled and
 * event-triggered runs and retries are deferred to the window's end, or
 * skipped.
 */

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export interface QuietWindow {
  /** Days the window starts on (0 = Sunday); all when empty. A window past midnight ends the next day. */
  days: number[];
  /** Minutes after local midnight. */
  fromMin: number;
  toMin: number;
  timezone: string;
}

export interface QuietHoursDef {
  windows: QuietWindow[];
  action: 'defer' | 'skip';
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Local weekday (0 = Sunday) and minute of the day of `t` in `tz`. */
function local(t: number, tz: string): { day: number; minute: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(tz, f);
  }
  const parts = f.formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

function inside(w: QuietWindow, t: number): boolean {
  const { day, minute } = local(t, w.timezone);
  const on = (d: number) => w.days.length === 0 || w.days.includes(d);
  if (w.fromMin < w.toMin) return on(day) && minute >= w.fromMin && minute < w.toMin;
  // Past midnight: the evening part on a window day, the morning part on the day after one.
  return (on(day) && minute >= w.fromMin) || (on((day + 6) % 7) && minute < w.toMin);
}

/** Whether `t` falls in quiet hours; if so, when they end (the first minute outside every window). */
export function quietUntil(q: QuietHoursDef | undefined, t: number): number | undefined {
  if (!q || !q.windows.some((w) => inside(w, t))) return undefined;
  // Windows are whole minutes: step to the next minute boundary, then by minutes (a day and a half at most).
  let u = Math.floor(t / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 3 * 1440 && q.windows.some((w) => inside(w, u)); i++) u += 60_000;
  return u;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of `t` in `tz`, as numbers. */
function wall(t: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = dateFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    dateFormats.set(tz, f);
  }
  const n: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') n[p.type] = Number(p.value);
  return { y: n.year ?? 0, mo: n.month ?? 1, d: n.day ?? 1, h: n.hour ?? 0, mi: n.minute ?? 0, s: n.second ?? 0 };
}

/** The instant when the wall clock in `tz` shows `minute` after midnight of the date y-mo-d (near it, across a DST change). */
function zoned(y: number, mo: number, d: number, minute: number, tz: string): number {
  const target = Date.UTC(y, mo - 1, d, 0, minute);
  let t = target;
  for (let i = 0; i < 2; i++) {
    const w = wall(t, tz);
    t += target - Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  }
  return t;
}

/**
 * The quiet periods that overlap [from, to), as instants: each starts when a
 * window opens (or at `from`, when already quiet) and ends when quietUntil
 * says (overlapping windows are one period). For a calendar of the week ahead.
 */
export function quietPeriods(q: QuietHoursDef | undefined, from: number, to: number): Array<{ from: number; until: number }> {
  if (!q) return [];
  const starts = new Set<number>([from]);
  for (const w of q.windows) {
    // Every local date from the day before `from` to the day after `to`: a window may start on each.
    for (let t = from - 86_400_000; t < to + 86_400_000; t += 86_400_000) {
      const { y, mo, d } = wall(t, w.timezone);
      const start = zoned(y, mo, d, w.fromMin, w.timezone);
      if (start > from && start < to) starts.add(start);
    }
  }
  const periods: Array<{ from: number; until: number }> = [];
  for (const start of [...starts].sort((a, b) => a - b)) {
    if (start < (periods.at(-1)?.until ?? -Infinity)) continue;
    const until = quietUntil(q, start);
    if (until !== undefined) periods.push({ from: start, until });
  }
  return periods;
}
