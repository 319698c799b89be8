import { describe, expect, it } from 'vitest';
import { quietPeriods, quietUntil, type QuietHoursDef } from '../../src/core/quiet-hours.js';
import { loadWorkflowText } from '../../src/spec/index.js';
import { createTestEnv } from '../../src/testing/index.js';

const at = (iso: string) => Date.parse(iso);
const nights: QuietHoursDef = { action: 'defer', windows: [{ days: [1, 2, 3, 4, 5], fromMin: 22 * 60, toMin: 6 * 60, timezone: 'Europe/Berlin' }] };

describe('quiet hours', () => {
  it('a window past midnight holds the night after each of its days, in its time zone', () => {
    // Monday 2026-06-01 23:30 Berlin (21:30Z): quiet until Tuesday 06:00 Berlin (04:00Z).
    expect(quietUntil(nights, at('2026-06-01T21:30:00Z'))).toBe(at('2026-06-02T04:00:00Z'));
    // Tuesday 05:59 Berlin: still the night that began on Monday.
    expect(quietUntil(nights, at('2026-06-02T03:59:00Z'))).toBe(at('2026-06-02T04:00:00Z'));
    expect(quietUntil(nights, at('2026-06-02T04:00:00Z'))).toBeUndefined();
    // Saturday 23:00 Berlin: Saturday is not a window day; Sunday 05:00 neither (the night began on Saturday).
    expect(quietUntil(nights, at('2026-06-06T21:00:00Z'))).toBeUndefined();
    expect(quietUntil(nights, at('2026-06-07T03:00:00Z'))).toBeUndefined();
    // Saturday 05:00 Berlin belongs to Friday's night.
    expect(quietUntil(nights, at('2026-06-06T03:00:00Z'))).toBe(at('2026-06-06T04:00:00Z'));
    // In winter Berlin is UTC+1: the same local window ends at 05:00Z.
    expect(quietUntil(nights, at('2026-12-01T01:00:00Z'))).toBe(at('2026-12-01T05:00:00Z'));
    expect(quietUntil(undefined, at('2026-12-01T01:00:00Z'))).toBeUndefined();
  });

  it('a retry that would fall in quiet hours waits for their end (defer), or is not made (skip)', async () => {
    for (const action of ['defer', 'skip'] as const) {
      const loaded = loadWorkflowText(
        `name: quiet\nquietHours: { windows: [{ from: "01:00", to: "03:00" }], action: ${action} }\ntasks:\n  - id: flaky\n    command: "true"\n    retry: { attempts: 2, initial: 1s, max: 1s }\n`,
        'quiet.yaml',
      );
      if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
      const env = await createTestEnv({ start: at('2026-06-01T01:30:00Z') });
      try {
        env.failTimes('flaky', 1);
        const run = await env.start(loaded.workflow);
        if (action === 'skip') {
          await expect(run.result()).rejects.toThrow(/task flaky failed/);
          const flaky = (await run.steps()).find((s) => s.id === 'flaky');
          expect(flaky?.attempt).toBe(1);
          expect(flaky?.error).toMatch(/retry skipped: quiet hours/);
        } else {
          await run.result();
          const attempts = (await run.history()).filter((e) => e.type === 'step:started').map((e) => e.at);
          expect(attempts).toHaveLength(2);
          expect(attempts[1]).toBeGreaterThanOrEqual(at('2026-06-01T03:00:00Z'));
        }
      } finally {
        await env.close();
      }
    }
  });

  it('the quiet periods of a week ahead, as instants: for the console\'s calendar', () => {
    const iso = (ps: Array<{ from: number; until: number }>) => ps.map((p) => `${new Date(p.from).toISOString()} ${new Date(p.until).toISOString()}`);
    // From Sunday 2026-05-31 00:00Z, a week: the nights after Monday to Friday, 22:00-06:00 Berlin (UTC+2).
    expect(iso(quietPeriods(nights, at('2026-05-31T00:00:00Z'), at('2026-06-07T00:00:00Z')))).toEqual([
      '2026-06-01T20:00:00.000Z 2026-06-02T04:00:00.000Z',
      '2026-06-02T20:00:00.000Z 2026-06-03T04:00:00.000Z',
      '2026-06-03T20:00:00.000Z 2026-06-04T04:00:00.000Z',
      '2026-06-04T20:00:00.000Z 2026-06-05T04:00:00.000Z',
      '2026-06-05T20:00:00.000Z 2026-06-06T04:00:00.000Z',
    ]);
    // Starting inside a night: the period starts then.
    expect(iso(quietPeriods(nights, at('2026-06-02T02:00:00Z'), at('2026-06-02T12:00:00Z')))).toEqual(['2026-06-02T02:00:00.000Z 2026-06-02T04:00:00.000Z']);
    // Across the change to winter time (Berlin, 2026-10-25 03:00 -> 02:00): 01:00-05:00 local is five hours that night.
    const early: QuietHoursDef = { action: 'skip', windows: [{ days: [], fromMin: 60, toMin: 300, timezone: 'Europe/Berlin' }] };
    expect(iso(quietPeriods(early, at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z')))).toEqual([
      '2026-10-24T23:00:00.000Z 2026-10-25T04:00:00.000Z',
      '2026-10-26T00:00:00.000Z 2026-10-26T04:00:00.000Z',
    ]);
    // Two windows that touch are one period.
    const joined: QuietHoursDef = { action: 'defer', windows: [{ days: [], fromMin: 60, toMin: 120, timezone: 'UTC' }, { days: [], fromMin: 120, toMin: 180, timezone: 'UTC' }] };
    expect(iso(quietPeriods(joined, at('2026-06-01T00:00:00Z'), at('2026-06-02T00:00:00Z')))).toEqual(['2026-06-01T01:00:00.000Z 2026-06-01T03:00:00.000Z']);
    expect(quietPeriods(undefined, 0, 1e12)).toEqual([]);
  });
});
