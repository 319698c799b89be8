/**
 * kill -9 of a code workflow's `baton run` / `baton resume` at random
 * instants, then `baton resume` until the run ends, through the built CLI on
 * a real SQLite file (the driver is in code-crash-kit.ts). The workflow
 * (test/fixtures/code-crash) has ten steps, a sleep, a child run of three
 * steps and a wait for the signal "go"; each step appends "RUN:KEY" to a
 * file. Checked for every seed:
 *
 * - the run and its child end succeeded, with the result the steps add up to
 *   (the signal's payload included);
 * - every step ran, and a step ran more than once only if the journal shows
 *   its earlier attempts crashed: a step journaled succeeded at a kill never
 *   runs again, a step in flight at a kill has its lost attempt recorded;
 * - a sleep that came due while no process ran fires at once on resume (it is
 *   not slept again), one still to come fires at its due time, never early;
 * - the signal, sent once while no process runs (before the run reached the
 *   wait or after), is taken once: the result holds its payload and the
 *   journal has one signal(go), succeeded.
 *
 * The checker is first shown to catch planted faults.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/cli.js';
import { expectedResult, ms, runSeeds, scenario, sleepEntry, type JournalStep, type Proc, type Scenario, type Snapshot } from './code-crash-kit.js';

const SEEDS = 24;
/** Seeds run at once (each in its own sandbox). */
const PARALLEL = 2;
const PARENT_STEPS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10'];
const CHILD_STEPS = ['c1', 'c2', 'c3'];
/** How late a sleep may fire after it is due (or after the resumed process is up, when it came due in the downtime). */
const SLEEP_SLACK_MS = 300;

/** What the checker found out, besides the problems: which cases a scenario covered. */
interface Verdict {
  problems: string[];
  sleepDueInDowntime: boolean;
  retriedSteps: number;
}

function countLines(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

/** Every invariant of a finished scenario; pure, so planted faults can prove it. */
function check(s: Scenario): Verdict {
  const problems: string[] = [];
  const say = (text: string) => problems.push(`seed ${s.seed} (run ${s.runId}): ${text}`);
  const { parent, child } = s.final;
  let retriedSteps = 0;

  // The run and its child end succeeded, with the right results.
  if (parent.status !== 'succeeded') say(`the run ended ${parent.status}: ${parent.error ?? ''}`);
  if (child.status !== 'succeeded') say(`the child run ended ${child.status}: ${child.error ?? ''}`);
  const want = expectedResult(s.input, s.payload);
  if (!isDeepStrictEqual(parent.result, want)) say(`the result is ${JSON.stringify(parent.result)}, expected ${JSON.stringify(want)}`);
  if (!isDeepStrictEqual(child.result, { sum: 600 * s.input.base })) say(`the child's result is ${JSON.stringify(child.result)}`);

  // Each step: it ran, and ran again only after a crashed attempt the journal shows.
  const counts = countLines(s.lines);
  const expectedLines = new Set<string>();
  for (const [run, keys] of [
    [parent, PARENT_STEPS],
    [child, CHILD_STEPS],
  ] as const) {
    for (const key of keys) {
      const line = `${run.id}:${key}`;
      expectedLines.add(line);
      const n = counts.get(line) ?? 0;
      const entry = run.steps.find((x) => x.id === key);
      if (!entry) {
        say(`step ${line} is not in the journal`);
        continue;
      }
      if (entry.status !== 'succeeded') say(`step ${line} is ${entry.status}`);
      if (n === 0) say(`step ${line} never ran (no side effect)`);
      const statuses = entry.history.map((a) => a.status);
      const crashed = statuses.filter((x) => x === 'crashed').length;
      if (statuses.at(-1) !== 'succeeded' || crashed !== statuses.length - 1) say(`step ${line} has attempts [${statuses.join(', ')}], expected crashed ones then one succeeded`);
      if (n > statuses.length) say(`step ${line} ran ${n} times but the journal shows ${statuses.length} attempt(s) [${statuses.join(', ')}]: a duplicate side effect`);
      if (statuses.length > 1) retriedSteps++;
    }
  }
  for (const [line, n] of counts) if (!expectedLines.has(line)) say(`unexpected side effect "${line}" (${n}x)`);

  // At each kill: what had succeeded never runs again; what was in flight has its lost attempt recorded.
  s.snapshots.forEach((snap, i) => {
    const then = countLines(snap.lines);
    for (const run of [snap.parent, snap.child]) {
      if (!run) continue;
      const now = run.id === parent.id ? parent : child;
      for (const st of run.steps) {
        if (st.kind !== 'step') continue;
        const line = `${run.id}:${st.id}`;
        if (st.status === 'succeeded' && (counts.get(line) ?? 0) !== (then.get(line) ?? 0)) {
          say(`step ${line} had succeeded when process ${i + 1} ended (${then.get(line) ?? 0} side effect(s)) and ran again (${counts.get(line) ?? 0} in the end)`);
        }
        if (st.status === 'running') {
          const after = now.steps.find((x) => x.id === st.id);
          const lost = after?.history.find((a) => a.attempt === st.attempts);
          if (lost?.status !== 'crashed') say(`step ${line} was running when process ${i + 1} ended; its attempt ${st.attempts} is ${lost?.status ?? 'missing'}, not crashed`);
        }
      }
    }
  });

  // The signal: taken once, its payload in the result.
  const signals = parent.steps.filter((x) => x.kind === 'signal');
  const sig = signals[0];
  if (signals.length !== 1 || sig?.id !== 'signal(go)' || sig.status !== 'succeeded') {
    say(`expected one signal(go) succeeded in the journal, got [${signals.map((x) => `${x.id} ${x.status}`).join(', ')}]`);
  } else if (!isDeepStrictEqual(sig.result, s.payload)) {
    say(`signal(go) took ${JSON.stringify(sig.result)}, sent ${JSON.stringify(s.payload)}`);
  }

  // The sleep: never early; at once when it came due in a downtime, else on time.
  let sleepDueInDowntime = false;
  const sleeps = parent.steps.filter((x) => x.kind === 'sleep');
  const sleep = sleeps[0];
  if (sleeps.length !== 1 || sleep?.status !== 'succeeded') {
    say(`expected one sleep() succeeded in the journal, got [${sleeps.map((x) => `${x.id} ${x.status}`).join(', ')}]`);
  } else {
    const began = ms(sleep.startedAt);
    const fired = ms(sleep.finishedAt);
    const due = began + s.input.sleepMs;
    // Its due time is taken just before the begin is written: a few ms of slack.
    if (!(fired >= due - 30)) say(`the sleep fired ${due - fired} ms before it was due`);
    const firing = [...s.procs].reverse().find((p) => p.spawnAt <= fired);
    if (!firing) say(`the sleep fired at ${sleep.finishedAt}, before any process started`);
    else if (due < firing.spawnAt) {
      sleepDueInDowntime = true;
      const late = fired - firing.announceAt;
      if (late > Math.min(SLEEP_SLACK_MS, s.input.sleepMs / 2)) {
        say(`the sleep came due while no process ran, yet fired ${late} ms after "baton ${firing.args[0]}" was up (slept again?)`);
      }
    } else {
      const late = fired - Math.max(due, firing.announceAt);
      if (late > SLEEP_SLACK_MS) say(`the sleep fired ${late} ms late`);
    }
  }
  return { problems, sleepDueInDowntime, retriedSteps };
}

describe('crash safety of code workflows', () => {
  it('the checker catches planted faults', async () => {
    const box = new Sandbox();
    let s: Scenario;
    try {
      s = await scenario(box, 1000, { kills: 1, inSleep: true, letSleepComeDue: true, durability: 'normal' });
    } finally {
      box.remove();
    }
    const clean = check(s);
    expect(clean.problems).toEqual([]);
    expect(clean.sleepDueInDowntime).toBe(true);
    const copy = (): Scenario => structuredClone(s);
    const found = (bad: Scenario, text: string) => expect(check(bad).problems.join('\n')).toContain(text);

    // A step that had succeeded before the kill (s1: the kill came in the sleep) runs again.
    const dup = copy();
    dup.lines.push(`${s.runId}:s1`);
    found(dup, `step ${s.runId}:s1 ran 2 times but the journal shows 1 attempt(s)`);
    found(dup, `step ${s.runId}:s1 had succeeded when process 1 ended`);
    // A step of the child never ran.
    const missing = copy();
    missing.lines = missing.lines.filter((l) => l !== `${s.childId}:c2`);
    found(missing, `step ${s.childId}:c2 never ran`);
    // A step missing from the journal.
    const unjournaled = copy();
    unjournaled.final.parent.steps = unjournaled.final.parent.steps.filter((x) => x.id !== 's9');
    found(unjournaled, `step ${s.runId}:s9 is not in the journal`);
    // The signal taken twice.
    const twice = copy();
    const sig = twice.final.parent.steps.find((x) => x.id === 'signal(go)') as JournalStep;
    twice.final.parent.steps.push({ ...sig, id: 'signal(go)#2' });
    found(twice, 'expected one signal(go) succeeded');
    // The result without the signal's bonus.
    const result = copy();
    (result.final.parent.result as { total: number }).total -= s.payload.bonus;
    found(result, 'the result is');
    // The sleep, due in the downtime, slept again in full on resume.
    const slept = copy();
    const entry = sleepEntry(slept.final.parent) as JournalStep;
    entry.finishedAt = new Date((slept.procs[1] as Proc).announceAt + s.input.sleepMs).toISOString();
    found(slept, 'the sleep came due while no process ran, yet fired');
    // A step in flight at the kill whose lost attempt is not recorded.
    const lost = copy();
    const snap = lost.snapshots[0] as Snapshot;
    const s3 = snap.parent.steps.find((x) => x.id === 's3') as JournalStep;
    snap.parent.steps[snap.parent.steps.indexOf(s3)] = { ...s3, status: 'running' };
    found(lost, `step ${s.runId}:s3 was running when process 1 ended; its attempt 1 is succeeded, not crashed`);
  }, 60_000);

  it(`kill -9 at random instants, signal while down, resume (${SEEDS} seeds)`, async () => {
    const outcomes = await runSeeds(
      Array.from({ length: SEEDS }, (_, i) => i + 1),
      PARALLEL,
    );
    const problems: string[] = [];
    let sleepDueInDowntime = 0;
    let retried = 0;
    let signalBeforeWait = 0;
    let signalWhileWaiting = 0;
    let multiKill = 0;
    for (const o of outcomes) {
      if (o.error || !o.scenario) {
        problems.push(`seed ${o.seed}: ${o.error}`);
        continue;
      }
      const v = check(o.scenario);
      problems.push(...v.problems);
      if (v.sleepDueInDowntime) sleepDueInDowntime++;
      retried += v.retriedSteps;
      if (o.scenario.signal?.runWasWaiting) signalWhileWaiting++;
      else signalBeforeWait++;
      if (o.scenario.procs.length > 2) multiKill++;
    }
    expect(problems).toEqual([]);
    // The seeds covered each case.
    expect(sleepDueInDowntime).toBeGreaterThanOrEqual(4);
    expect(retried).toBeGreaterThanOrEqual(3);
    expect(signalBeforeWait).toBeGreaterThanOrEqual(3);
    expect(signalWhileWaiting).toBeGreaterThanOrEqual(3);
    expect(multiKill).toBeGreaterThanOrEqual(3);
    console.log({ sleepDueInDowntime, retried, signalBeforeWait, signalWhileWaiting, multiKill });
  }, 150_000);
});
