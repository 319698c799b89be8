import { describe, expect, it } from 'vitest';
import { quietUntil, type QuietHoursDef } from '../../src/core/quiet-hours.js';
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
});
