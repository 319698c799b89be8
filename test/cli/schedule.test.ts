import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/cli.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/nightly-report.yaml');
let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.remove());

type Sim = { schedules: Array<{ schedule: string; fires: string[]; down?: { missed: number; firedOnReturn: string[]; skipped: number } }> };

describe('baton schedule simulate', () => {
  it('lists the fires over the days asked, through daylight saving, and the catch-up a downtime causes', async () => {
    const r = await box.run(['schedule', 'simulate', EXAMPLE, '--days', '3', '--from', '2026-03-28T00:00:00Z', '--down', '2026-03-28T12:00:00Z..2026-03-30T08:00:00Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const sim = JSON.parse(r.stdout) as Sim;
    const nightly = sim.schedules.find((s) => s.schedule === 'nightly');
    // 02:30 Berlin: 01:30Z in winter time; on 29 March (spring forward) 03:00 CEST = 01:00Z; then 00:30Z.
    expect(nightly?.fires).toEqual(['2026-03-28T01:30:00.000Z']);
    expect(nightly?.down).toEqual({ from: '2026-03-28T12:00:00.000Z', to: '2026-03-30T08:00:00.000Z', missed: 2, firedOnReturn: ['2026-03-30T00:30:00.000Z'], skipped: 1 });
    const disk = sim.schedules.find((s) => s.schedule === 'disk-check');
    // Every 10 minutes, catch-up none: of the 264 missed only the one due as the server comes back fires.
    expect(disk?.down).toMatchObject({ missed: 264, firedOnReturn: ['2026-03-30T08:00:00.000Z'], skipped: 263 });
    expect(disk?.fires).toHaveLength(3 * 144 + 1 - 264);
  });

  it('says what is wrong with its arguments', async () => {
    const r = await box.run(['schedule', 'simulate', EXAMPLE, '--down', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--down must be FROM..TO');
    const none = await box.run(['schedule', 'simulate', 'nothing-here', '--folder', resolve(import.meta.dirname, '../../examples')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no workflow "nothing-here" in .*examples \(see baton plan\)/);
    const unscheduled = await box.run(['schedule', 'simulate', 'flaky', '--folder', resolve(import.meta.dirname, '../../examples')]);
    expect(unscheduled.stderr).toContain('workflow flaky has no schedules (on.schedule)');
  });
});
