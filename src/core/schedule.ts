/**
 * @module core/schedule
 * A workflow's schedules (`on.schedule` in a file): when it fires, and what
 * happens to fires missed while no server ran (catch-up) or that come while
 * an earlier run is still going (overlap).
 */

export const CATCH_UPS = ['none', 'latest', 'all'] as const;
export const OVERLAPS = ['skip', 'queue', 'cancel-previous', 'allow'] as const;

export type CatchUp = { policy: 'none' } | { policy: 'latest' } | { policy: 'all'; max: number };
export type Overlap = { policy: 'skip' } | { policy: 'allow' } | { policy: 'cancel-previous' } | { policy: 'queue'; max: number };

/** Temporal's defaults: a missed period fires once (the latest), a fire while the previous run goes on is skipped. */
export const DEFAULT_CATCH_UP: CatchUp = { policy: 'latest' };
export const DEFAULT_OVERLAP: Overlap = { policy: 'skip' };
export const DEFAULT_CATCH_UP_MAX = 10;
export const DEFAULT_QUEUE_MAX = 1;

export interface ScheduleDef {
  /** `name:` if given, else `schedule-<n>` by position (1-based). */
  id: string;
  /** Exactly one of cron (5 or 6 fields), everyMs, at (ms epoch). */
  cron?: string;
  everyMs?: number;
  at?: number;
  /** IANA time zone of the cron fields; default UTC. */
  timezone: string;
  startAt?: number;
  endAt?: number;
  /** Each fire is delayed by a random part of this. */
  jitterMs: number;
  catchUp: CatchUp;
  overlap: Overlap;
  /** The run's input. */
  input: Record<string, unknown>;
}

/** `on.event`: a run for each event of this type (from POST /api/events, or run.succeeded / run.failed of another workflow) whose `if` holds. */
export interface EventTriggerDef {
  type: string;
  /** A CEL condition over `event` ({type, data}). */
  if?: string;
  /** The run's input; `${{ event.data.x }}` in strings is replaced. */
  input: Record<string, unknown>;
}

export const ALERT_WHEN = ['failure', 'success', 'slow'] as const;
export type AlertWhen = (typeof ALERT_WHEN)[number];

/** `alerts:` of a workflow: a message to one destination when a run fails, succeeds, or took longer than slowerThanMs. */
export interface AlertDef {
  when: AlertWhen[];
  slowerThanMs?: number;
  webhook?: string;
  slack?: string;
  email?: string[];
}

/** What a workflow file says to the server: schedules, event triggers, alerts. */
export interface TriggersDef {
  schedules: ScheduleDef[];
  events: EventTriggerDef[];
  alerts: AlertDef[];
}

export function describeCatchUp(c: CatchUp): string {
  return c.policy === 'all' ? `all (at most ${c.max})` : c.policy;
}

export function describeOverlap(o: Overlap): string {
  return o.policy === 'queue' ? `queue (at most ${o.max} waiting)` : o.policy;
}

export function describeWhen(s: ScheduleDef): string {
  const tz = s.timezone === 'UTC' ? '' : ` ${s.timezone}`;
  if (s.cron !== undefined) return `cron "${s.cron}"${tz}`;
  if (s.everyMs !== undefined) return `every ${compact(s.everyMs)}`;
  return `once at ${new Date(s.at ?? 0).toISOString()}`;
}

/** What became of one due time of a schedule. */
export type FireOutcome = 'firing' | 'fired' | 'queued' | 'skipped:catch-up' | 'skipped:overlap' | 'skipped:queue-full' | 'skipped:quiet';

export interface FireRecord {
  workflow: string;
  schedule: string;
  dueAt: number;
  claimedAt: number;
  outcome: FireOutcome;
  runId: string | null;
}

export interface ScheduleState {
  workflow: string;
  schedule: string;
  paused: boolean;
  changedAt: number;
}

/** 45m, 1h30m, 2d, 10s: a whole-second duration in its largest units. */
function compact(ms: number): string {
  let rest = Math.round(ms / 1000);
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || `${ms}ms`;
}
