import { describe, expect, it } from 'vitest';
import { ClaimAhead } from '../../src/engine/claim-ahead.js';
import { overdue, type Held } from '../../src/engine/give-back.js';
import { StepAbort } from '../../src/engine/step-abort.js';

describe('ClaimAhead', () => {
  it('claims nothing ahead until both a round trip and a step have been measured', () => {
    const a = new ClaimAhead(8, 500);
    expect(a.extra).toBe(0);
    a.tripTook(3);
    expect(a.extra).toBe(0);
    a.stepTook(0.5);
    expect(a.extra).toBe(48); // 8 slots x 3 ms / 0.5 ms
  });

  it('holds about what the slots finish during one round trip, up to the cap', () => {
    const a = new ClaimAhead(4, 100);
    a.tripTook(2);
    a.stepTook(1);
    expect(a.extra).toBe(8);
    const fast = new ClaimAhead(4, 100);
    fast.tripTook(2);
    fast.stepTook(0.001); // a no-op: counted as 0.05 ms, and capped
    expect(fast.extra).toBe(100);
  });

  it('claims none ahead for steps longer than a round trip', () => {
    const a = new ClaimAhead(8, 500);
    a.tripTook(3);
    a.stepTook(300);
    expect(a.extra).toBe(0);
  });

  it('follows the steps as they get longer (a moving average)', () => {
    const a = new ClaimAhead(8, 500);
    a.tripTook(3);
    a.stepTook(0.5);
    for (let i = 0; i < 40; i++) a.stepTook(1000);
    expect(a.extra).toBe(0);
  });

  it('a cap of 0 turns it off', () => {
    const a = new ClaimAhead(8, 0);
    a.tripTook(3);
    a.stepTook(0.01);
    expect(a.extra).toBe(0);
  });

  it('plans for the slots still turning over: stuck ones free nothing', () => {
    const a = new ClaimAhead(4, 500);
    a.tripTook(2);
    a.stepTook(1);
    expect(a.extra).toBe(8);
    a.stuck = 3;
    expect(a.extra).toBe(2);
    a.stuck = 4;
    expect(a.extra).toBe(0);
  });
});

describe('overdue (give-back)', () => {
  const held = (claimedAt: number, more: Partial<Held> = {}): Held =>
    ({ claim: { runId: 'r', stepId: String(claimedAt), kind: 'task', attempt: 1, epoch: 1, failures: 0, depsNotOk: 0 }, abort: new StepAbort(), claimedAt, ...more });

  it('finds the steps that waited for a slot too long, and counts slots held by one step for half that', () => {
    const waiting = held(0);
    const fresh = held(900);
    const { late, stuck } = overdue([waiting, fresh, held(0, { returning: true }), held(0, { startedAt: 800 }), held(0, { startedAt: 900 }), held(0, { startedAt: 100, ended: true })], 1000, 250);
    expect(late).toEqual([waiting]);
    expect(stuck).toBe(1);
    // Stopping: every step waiting goes back.
    expect(overdue([waiting, fresh], 1000, 250, 0).late).toEqual([waiting, fresh]);
  });
});
