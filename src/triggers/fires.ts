/**
 * @module triggers/fires
 * When a schedule fires: the due times of cron (in its time zone, through
 * daylight-saving changes: a daily time that does not exist that day fires
 * once at the next valid time, one that happens twice fires once), every
 * (aligned to start, else to the epoch) and at, within start and end.
 */
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import type { ScheduleDef } from '../core/schedule.js';

const crons = new WeakMap<ScheduleDef, Cron>();

function cronOf(s: ScheduleDef): Cron {
  let c = crons.get(s);
  if (!c) {
    c = new Cron(s.cron as string, { timezone: s.timezone, paused: true });
    crons.set(s, c);
  }
  return c;
}

/** The first due time strictly after `after`, or undefined when there is none. */
export function nextFire(s: ScheduleDef, after: number): number | undefined {
  const from = s.startAt !== undefined ? Math.max(after, s.startAt - 1) : after;
  let next: number | undefined;
  if (s.at !== undefined) next = s.at > from ? s.at : undefined;
  else if (s.everyMs !== undefined) {
    const anchor = s.startAt ?? 0;
    next = anchor + (Math.floor((from - anchor) / s.everyMs) + 1) * s.everyMs;
  } else {
    next = cronOf(s).nextRun(new Date(from))?.getTime();
  }
  return next !== undefined && (s.endAt === undefined || next <= s.endAt) ? next : undefined;
}

/** Due times in (after, until], oldest first, at most `cap` (the newest ones when there are more). */
export function firesBetween(s: ScheduleDef, after: number, until: number, cap = 10_000): number[] {
  const out: number[] = [];
  for (let t = nextFire(s, after); t !== undefined && t <= until; t = nextFire(s, t)) {
    out.push(t);
    if (out.length > cap) out.shift();
  }
  return out;
}

/** The next `n` due times after `after`. */
export function nextFires(s: ScheduleDef, after: number, n: number): number[] {
  const out: number[] = [];
  for (let t = nextFire(s, after); t !== undefined && out.length < n; t = nextFire(s, t)) out.push(t);
  return out;
}

/** A fire's jitter: the same on every server (from the schedule and the due time), in [0, jitterMs). */
export function jitterOf(s: ScheduleDef, workflow: string, dueAt: number): number {
  if (s.jitterMs <= 0) return 0;
  let h = 2166136261;
  for (const ch of `${workflow}\u0000${s.id}\u0000${dueAt}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % s.jitterMs;
}

/**
 * The id of the run a fire starts: the same for every server and every try
 * (time first, as run ids are), so that a fire started twice (its server died
 * between starting the run and recording it) is one run.
 */
export function fireRunId(workflow: string, schedule: string, dueAt: number): string {
  const hash = createHash('sha256').update(`${workflow}\u0000${schedule}\u0000${dueAt}`).digest();
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let tail = '';
  for (let i = 0; i < 7; i++) tail += alphabet[(hash[i] as number) % 36];
  return Math.max(0, dueAt).toString(36).padStart(9, '0') + tail;
}
