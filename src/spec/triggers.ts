/**
 * @module spec/triggers
 * The `on:` block of a workflow file: `schedule:` (a list, or one) of cron /
 * every / at with time zone, start/end, jitter, catch-up and overlap
 * policies, and the run's input; `event:` (a list, or one) of an event type,
 * a CEL condition over `event`, and the run's input. Every problem is
 * reported where it is.
 */
import { Cron } from 'croner';
import {
  CATCH_UPS,
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_MAX,
  DEFAULT_OVERLAP,
  DEFAULT_QUEUE_MAX,
  OVERLAPS,
  ALERT_WHEN,
  type AlertDef,
  type AlertWhen,
  type CatchUp,
  type EventTriggerDef,
  type Overlap,
  type ScheduleDef,
  type TriggersDef,
} from '../core/schedule.js';
import { DAYS, type QuietHoursDef, type QuietWindow } from '../core/quiet-hours.js';
import { expressions } from './expression-language.js';
import { isMapping, type Mapping, type Scope } from './issues.js';

const ON_KEYS = ['schedule', 'event'];
const EVENT_KEYS = ['type', 'if', 'input'];
const EVENT_TYPE = /^[A-Za-z][\w.-]*$/;
const SCHEDULE_KEYS = ['name', 'cron', 'every', 'at', 'timezone', 'start', 'end', 'jitter', 'catchUp', 'overlap', 'input'];

export function checkTriggers(on: Mapping, top: Scope): TriggersDef {
  const s = top.child('on');
  s.unknownKeys(on, ON_KEYS);
  const schedules: ScheduleDef[] = [];
  if (on.schedule !== undefined) {
    const list = Array.isArray(on.schedule) ? on.schedule : [on.schedule];
    const at = Array.isArray(on.schedule) ? s.child('schedule') : s;
    list.forEach((value, i) => {
      const def = checkSchedule(value, Array.isArray(on.schedule) ? at.item(i) : at.child('schedule'), i);
      if (!def) return;
      if (schedules.some((d) => d.id === def.id)) at.report(Array.isArray(on.schedule) ? i : 'schedule', `two schedules are named "${def.id}"; give each its own name`);
      else schedules.push(def);
    });
  }
  const events: EventTriggerDef[] = [];
  if (on.event !== undefined) {
    const list = Array.isArray(on.event) ? on.event : [on.event];
    list.forEach((value, i) => {
      const def = checkEvent(value, Array.isArray(on.event) ? s.child('event').item(i) : s.child('event'));
      if (def) events.push(def);
    });
  }
  return { schedules, events, alerts: [] };
}

const ALERT_KEYS = ['when', 'slowerThan', 'webhook', 'slack', 'email'];

/** `alerts:` (a list, or one): when (failure, success, slow), slowerThan for slow, and one of webhook, slack, email. */
export function checkAlerts(value: unknown, top: Scope): AlertDef[] {
  const list = Array.isArray(value) ? value : [value];
  const s = top.child('alerts');
  const out: AlertDef[] = [];
  list.forEach((item, i) => {
    const a = Array.isArray(value) ? s.item(i) : s;
    if (!isMapping(item)) {
      a.report(undefined, 'an alert must be a mapping with "when" and one of webhook, slack or email');
      return;
    }
    a.unknownKeys(item, ALERT_KEYS);
    const whens = item.when === undefined ? [] : Array.isArray(item.when) ? item.when : [item.when];
    if (whens.length === 0) a.report(undefined, 'an alert needs "when": failure, success or slow (or a list of them)');
    const when = whens.map((w, j) => (Array.isArray(item.when) ? a.child('when') : a).oneOf(Array.isArray(item.when) ? j : 'when', w, ALERT_WHEN)).filter((w): w is AlertWhen => w !== undefined);
    const def: AlertDef = { when };
    if (item.slowerThan !== undefined) {
      const ms = a.duration('slowerThan', item.slowerThan);
      if (ms !== undefined) def.slowerThanMs = ms;
    } else if (when.includes('slow')) a.report('when', 'an alert when slow needs "slowerThan" (a duration like 10m)');
    const destinations = ['webhook', 'slack', 'email'].filter((k) => item[k] !== undefined);
    if (destinations.length !== 1) a.report(undefined, destinations.length === 0 ? 'an alert needs one of webhook, slack or email' : `an alert goes to one of webhook, slack or email, not ${destinations.join(' and ')}`);
    for (const key of ['webhook', 'slack'] as const) {
      if (item[key] === undefined) continue;
      const url = a.string(key, item[key], true);
      if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) a.report(key, `"${url}" is not an http(s) URL`);
      else if (url !== undefined) def[key] = url;
    }
    if (item.email !== undefined) {
      const to = Array.isArray(item.email) ? item.email : [item.email];
      const ok = to.filter((t, j): t is string => {
        const good = typeof t === 'string' && /^[^\s@]+@[^\s@]+$/.test(t);
        if (!good) (Array.isArray(item.email) ? a.child('email') : a).report(Array.isArray(item.email) ? j : 'email', `${JSON.stringify(t)} is not an email address`);
        return good;
      });
      if (ok.length > 0) def.email = ok;
    }
    out.push(def);
  });
  return out;
}

function checkEvent(value: unknown, s: Scope): EventTriggerDef | undefined {
  if (!isMapping(value)) {
    s.report(undefined, 'an event trigger must be a mapping with a "type"');
    return undefined;
  }
  s.unknownKeys(value, EVENT_KEYS);
  const type = value.type === undefined ? undefined : s.string('type', value.type, true);
  if (value.type === undefined) s.report(undefined, 'an event trigger needs a "type" (like git.push, or run.succeeded for another workflow\'s runs)');
  else if (type !== undefined && !EVENT_TYPE.test(type)) s.report('type', `event type "${type}" must be letters, digits, "_", "." or "-", starting with a letter`);
  const def: EventTriggerDef = { type: type ?? '', input: {} };
  if (value.if !== undefined) {
    const cond = typeof value.if === 'boolean' ? String(value.if) : s.string('if', value.if, true);
    if (cond !== undefined) {
      const compiled = expressions().tryCompileExpression(cond);
      if (!compiled.ok) s.report('if', `not a valid expression: ${compiled.message}`);
      else def.if = cond;
    }
  }
  if (value.input !== undefined) def.input = s.mapping('input', value.input) ?? {};
  return type !== undefined && EVENT_TYPE.test(type) ? def : undefined;
}

function checkSchedule(value: unknown, s: Scope, index: number): ScheduleDef | undefined {
  if (!isMapping(value)) {
    s.report(undefined, 'a schedule must be a mapping with one of cron, every or at');
    return undefined;
  }
  s.unknownKeys(value, SCHEDULE_KEYS);
  const def: ScheduleDef = { id: `schedule-${index + 1}`, timezone: 'UTC', jitterMs: 0, catchUp: DEFAULT_CATCH_UP, overlap: DEFAULT_OVERLAP, input: {} };
  if (value.name !== undefined) {
    const name = s.string('name', value.name, true);
    if (name !== undefined) def.id = name;
  }
  const kinds = ['cron', 'every', 'at'].filter((k) => value[k] !== undefined);
  if (kinds.length !== 1) {
    s.report(undefined, kinds.length === 0 ? 'a schedule needs one of cron, every or at' : `a schedule takes one of cron, every or at, not ${kinds.join(' and ')}`);
    return undefined;
  }
  if (value.timezone !== undefined) {
    const tz = s.string('timezone', value.timezone, true);
    if (tz !== undefined) {
      if (validZone(tz)) def.timezone = tz;
      else s.report('timezone', `unknown time zone "${tz}": use an IANA name like Europe/Berlin or America/New_York`);
    }
  }
  if (value.cron !== undefined) {
    const expr = s.string('cron', value.cron, true);
    if (expr !== undefined) {
      const fields = expr.trim().split(/\s+/).length;
      if (fields !== 5 && fields !== 6) s.report('cron', `a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}`);
      else {
        try {
          new Cron(expr, { paused: true, timezone: def.timezone });
          def.cron = expr.trim();
        } catch (error) {
          s.report('cron', `not a valid cron expression: ${(error as Error).message}`);
        }
      }
    }
  }
  if (value.every !== undefined) {
    const ms = s.duration('every', value.every);
    if (ms !== undefined && ms < 1000) s.report('every', 'a schedule fires at most once a second: every must be 1s or more');
    else if (ms !== undefined) def.everyMs = ms;
  }
  if (value.at !== undefined) {
    const t = time(s, 'at', value.at);
    if (t !== undefined) def.at = t;
  }
  if (value.start !== undefined) {
    const t = time(s, 'start', value.start);
    if (t !== undefined) def.startAt = t;
  }
  if (value.end !== undefined) {
    const t = time(s, 'end', value.end);
    if (t !== undefined) def.endAt = t;
  }
  if (def.startAt !== undefined && def.endAt !== undefined && def.endAt <= def.startAt) s.report('end', 'end must come after start');
  if (value.jitter !== undefined) def.jitterMs = s.duration('jitter', value.jitter, true) ?? 0;
  if (value.catchUp !== undefined) def.catchUp = checkCatchUp(value.catchUp, s) ?? DEFAULT_CATCH_UP;
  if (value.overlap !== undefined) def.overlap = checkOverlap(value.overlap, s) ?? DEFAULT_OVERLAP;
  if (value.input !== undefined) def.input = s.mapping('input', value.input) ?? {};
  for (const k of ['everyMs', 'cron', 'at'] as const) if (def[k] === undefined) delete def[k];
  return def;
}

/** `catchUp: none | latest | all`, or `{policy: all, max: 10}`. */
function checkCatchUp(value: unknown, s: Scope): CatchUp | undefined {
  if (typeof value === 'string') {
    const policy = s.oneOf('catchUp', value, CATCH_UPS);
    return policy === undefined ? undefined : policy === 'all' ? { policy, max: DEFAULT_CATCH_UP_MAX } : { policy };
  }
  const m = s.mapping('catchUp', value);
  if (!m) return undefined;
  const c = s.child('catchUp');
  c.unknownKeys(m, ['policy', 'max']);
  const policy = c.oneOf('policy', m.policy, CATCH_UPS);
  if (policy !== 'all') {
    if (m.max !== undefined) c.report('max', 'max goes with policy: all');
    return policy === undefined ? undefined : { policy };
  }
  return { policy, max: m.max === undefined ? DEFAULT_CATCH_UP_MAX : (c.whole('max', m.max, 1, 1000) ?? DEFAULT_CATCH_UP_MAX) };
}

/** `overlap: skip | queue | cancel-previous | allow`, or `{policy: queue, max: 3}`. */
function checkOverlap(value: unknown, s: Scope): Overlap | undefined {
  if (typeof value === 'string') {
    const policy = s.oneOf('overlap', value, OVERLAPS);
    return policy === undefined ? undefined : policy === 'queue' ? { policy, max: DEFAULT_QUEUE_MAX } : { policy };
  }
  const m = s.mapping('overlap', value);
  if (!m) return undefined;
  const o = s.child('overlap');
  o.unknownKeys(m, ['policy', 'max']);
  const policy = o.oneOf('policy', m.policy, OVERLAPS);
  if (policy !== 'queue') {
    if (m.max !== undefined) o.report('max', 'max goes with policy: queue');
    return policy === undefined ? undefined : { policy };
  }
  return { policy, max: m.max === undefined ? DEFAULT_QUEUE_MAX : (o.whole('max', m.max, 1, 1000) ?? DEFAULT_QUEUE_MAX) };
}

/** An ISO 8601 date-time with a zone (2026-12-01T09:00:00+01:00, ...Z), as ms epoch. */
function time(s: Scope, key: string, value: unknown): number | undefined {
  const text = value instanceof Date ? value.toISOString() : s.string(key, value, true);
  if (text === undefined) return undefined;
  const t = /(Z|[+-]\d\d:?\d\d)$/i.test(text.trim()) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) {
    s.report(key, `"${text}" is not a date-time with a zone, like 2026-12-01T09:00:00Z or 2026-12-01T09:00:00+01:00`);
    return undefined;
  }
  return t;
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const QUIET_KEYS = ['windows', 'action'];
const WINDOW_KEYS = ['days', 'from', 'to', 'timezone'];

/** `quietHours: {windows: [{days, from: "22:00", to: "06:00", timezone}], action: defer | skip}`. */
export function checkQuietHours(value: unknown, top: Scope): QuietHoursDef | undefined {
  const m = top.mapping('quietHours', value);
  if (!m) return undefined;
  const q = top.child('quietHours');
  q.unknownKeys(m, QUIET_KEYS);
  const action = m.action === undefined ? 'defer' : q.oneOf('action', m.action, ['defer', 'skip'] as const);
  const list = m.windows === undefined ? undefined : Array.isArray(m.windows) ? m.windows : [m.windows];
  if (!list || list.length === 0) {
    q.report(undefined, 'quiet hours need "windows": a list of { from: "22:00", to: "06:00", days, timezone }');
    return undefined;
  }
  const windows: QuietWindow[] = [];
  list.forEach((item, i) => {
    const w = Array.isArray(m.windows) ? q.child('windows').item(i) : q.child('windows');
    if (!isMapping(item)) {
      w.report(undefined, 'a window is a mapping with from and to (HH:MM), and optional days and timezone');
      return;
    }
    w.unknownKeys(item, WINDOW_KEYS);
    const clock = (key: 'from' | 'to'): number | undefined => {
      const text = item[key] === undefined ? undefined : w.text(key, item[key]);
      if (item[key] === undefined) w.report(undefined, `a window needs "${key}" (HH:MM)`);
      const hm = text === undefined ? null : /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
      if (text !== undefined && !hm) w.report(key, `"${text}" is not a time of day like 22:00 or 6:30`);
      return hm ? Number(hm[1]) * 60 + Number(hm[2]) : undefined;
    };
    const fromMin = clock('from');
    const toMin = clock('to');
    let timezone = 'UTC';
    if (item.timezone !== undefined) {
      const tz = w.string('timezone', item.timezone, true);
      if (tz !== undefined && validZone(tz)) timezone = tz;
      else if (tz !== undefined) w.report('timezone', `unknown time zone "${tz}": use an IANA name like Europe/Berlin`);
    }
    const days: number[] = [];
    if (item.days !== undefined) {
      const given = Array.isArray(item.days) ? item.days : [item.days];
      given.forEach((d, j) => {
        const name = typeof d === 'string' ? d.toLowerCase() : d;
        const short = typeof name === 'string' && DAYS.some((x) => `${x}day` === name || (x === 'tue' && name === 'tuesday') || (x === 'wed' && name === 'wednesday') || (x === 'thu' && name === 'thursday') || (x === 'sat' && name === 'saturday')) ? name.slice(0, 3) : name;
        const day = (Array.isArray(item.days) ? w.child('days') : w).oneOf(Array.isArray(item.days) ? j : 'days', short, DAYS);
        if (day !== undefined) days.push(DAYS.indexOf(day));
      });
    }
    if (fromMin !== undefined && toMin !== undefined) {
      if (fromMin === toMin) w.report('to', 'a window from and to the same time is empty');
      else windows.push({ days, fromMin, toMin, timezone });
    }
  });
  return action === undefined || windows.length === 0 ? undefined : { windows, action };
}
