import { describe, expect, it } from 'vitest';
import { DueTimer, systemTimers } from '../../src/engine/wakeup.js';

describe('DueTimer', () => {
  it('never fires before its clock reaches the due time, even when timers run early', async () => {
    // After arming, `now()` falls 15 ms behind the timers' clock: a plain
    // setTimeout would fire 15 ms before `now()` reaches the due time.
    let skew = 0;
    const now = () => Date.now() - skew;
    const firedAt: number[] = [];
    let done!: () => void;
    const fired = new Promise<void>((r) => (done = r));
    const timer = new DueTimer(systemTimers(now), () => {
      firedAt.push(now());
      done();
    });
    const due = now() + 20;
    timer.armAt(due);
    skew = 15;
    await fired;
    expect(firedAt).toHaveLength(1);
    expect(firedAt[0]).toBeGreaterThanOrEqual(due);
  });

  it('keeps the earliest due time and can be cleared', async () => {
    const calls: string[] = [];
    const timer = new DueTimer(systemTimers(Date.now), () => calls.push('fire'));
    timer.armAt(Date.now() + 10_000);
    timer.armAt(Date.now() + 5);
    timer.armAt(Date.now() + 20_000);
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toEqual(['fire']);
    timer.armAt(Date.now() + 5);
    timer.clear();
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual(['fire']);
  });
});
