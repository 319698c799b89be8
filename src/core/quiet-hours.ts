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
