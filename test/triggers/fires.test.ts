import { describe, expect, it } from 'vitest';
import { DEFAULT_CATCH_UP, DEFAULT_OVERLAP, type ScheduleDef } from '../../src/core/schedule.js';
import { firesBetween, jitterOf, nextFire, nextFires } from '../../src/triggers/fires.js';

const base = { timezone: 'UTC', jitterMs: 0, catchUp: DEFAULT_CATCH_UP, overlap: DEFAULT_OVERLAP, input: {} };
const at = (iso: string) => Date.parse(iso);
const iso = (ts: number[]) => ts.map((t) => new Date(t).toISOString());

describe('schedule fire times', () => {
  it('a daily cron in Europe/Berlin fires once a day through both daylight-saving changes', () => {
    const s: ScheduleDef = { ...base, id: 'd', cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    // Spring forward (29 March 2026: 02:00 -> 03:00): 02:30 does not exist; it fires once, at 03:00 CEST.
    expect(iso(firesBetween(s, at('2026-03-27T12:00:00Z'), at('2026-03-31T12:00:00Z')))).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // Fall back (25 October 2026: 03:00 -> 02:00): 02:30 happens twice; it fires once.
    expect(iso(firesBetween(s, at('2026-10-23T12:00:00Z'), at('2026-10-27T12:00:00Z')))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('a cron in New York keeps local time across its change; six fields count seconds', () => {
    const s: ScheduleDef = { ...base, id: 'ny', cron: '0 9 * * 1-5', timezone: 'America/New_York' };
    expect(iso(nextFires(s, at('2026-03-06T00:00:00Z'), 3))).toEqual(['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z']);
    const secs: ScheduleDef = { ...base, id: 's', cron: '*/20 * * * * *' };
    expect(iso(nextFires(secs, at('2026-01-01T00:00:05Z'), 3))).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z']);
  });

  it('every is aligned to start (else the epoch), within start and end; at fires once', () => {
    const every: ScheduleDef = { ...base, id: 'e', everyMs: 45 * 60_000, startAt: at('2026-01-01T00:10:00Z'), endAt: at('2026-01-01T02:30:00Z') };
    expect(iso(firesBetween(every, at('2025-12-31T00:00:00Z'), at('2026-01-02T00:00:00Z')))).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:55:00.000Z',
      '2026-01-01T01:40:00.000Z',
      '2026-01-01T02:25:00.000Z',
    ]);
    const once: ScheduleDef = { ...base, id: 'o', at: at('2026-05-01T09:00:00Z') };
    expect(nextFire(once, at('2026-04-01T00:00:00Z'))).toBe(at('2026-05-01T09:00:00Z'));
    expect(nextFire(once, at('2026-05-01T09:00:00Z'))).toBeUndefined();
    expect(firesBetween(every, at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), 2)).toHaveLength(2);
  });

  it('jitter is the same for every server and stays within its bound', () => {
    const s: ScheduleDef = { ...base, id: 'j', everyMs: 60_000, jitterMs: 30_000 };
    const values = Array.from({ length: 200 }, (_, i) => jitterOf(s, 'wf', i * 60_000));
    expect(values.every((v) => v >= 0 && v < 30_000)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(100);
    expect(jitterOf(s, 'wf', 120_000)).toBe(jitterOf({ ...s }, 'wf', 120_000));
  });
});
