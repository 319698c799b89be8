/**
 * kill -9 of a code workflow's `baton run` / `baton resume` at random
 * instants, then `baton resume` until the run ends, through the built CLI on
 * a real SQLite file. The workflow (test/fixtures/code-crash) has ten steps,
 * a sleep, a child run of three steps and a wait for the signal "go"; each
 * step appends "RUN:KEY" to a file. Checked for every seed:
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
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { processesWith, Sandbox, until, type CliResult } from '../helpers/cli.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/code-crash/crash.ts');
const SEEDS = 24;
/** Seeds run at once (each in its own sandbox). */
const PARALLEL = 2;
const PARENT_STEPS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10'];
const CHILD_STEPS = ['c1', 'c2', 'c3'];
/** How late a sleep may fire after it is due (or after the resumed process is up, when it came due in the downtime). */
const SLEEP_SLACK_MS = 300;

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s / 2 ** 32;
  };
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Attempt {
  attempt: number;
  status: string;
}

interface JournalStep {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  result?: unknown;
  history: Attempt[];
}

/** What `baton show RUN --json` prints for a code run (the part checked here). */
interface Journal {
  id: string;
  status: string;
  error: string | null;
  result?: unknown;
  steps: JournalStep[];
}

interface Input {
  file: string;
  base: number;
  stepMs: number;
  sleepMs: number;
}

interface Payload {
  bonus: number;
  tag: string;
}

/** One process that drove the run. */
interface Proc {
  args: string[];
  spawnAt: number;
  /** When its "▶ run ID" line was seen: the run is loaded and goes on. */
  announceAt: number;
  end: 'killed' | 'finished';
}

/** The state in a downtime, right after a process ended. */
interface Snapshot {
  parent: Journal;
  child: Journal | undefined;
  lines: string[];
}

interface Scenario {
  seed: number;
  input: Input;
  payload: Payload;
  runId: string;
  childId: string;
  procs: Proc[];
  snapshots: Snapshot[];
  /** When the signal was sent: after the kill of procs[i], and whether the run was already waiting for it. */
  signal: { afterProc: number; runWasWaiting: boolean } | undefined;
  final: { parent: Journal; child: Journal };
  lines: string[];
}

/** What the checker found out, besides the problems: which cases a scenario covered. */
interface Verdict {
  problems: string[];
  sleepDueInDowntime: boolean;
  retriedSteps: number;
}

function expectedResult(input: Input, payload: Payload): unknown {
  const child = 600 * input.base;
  return { total: 55 * input.base + child + payload.bonus, child, go: payload };
}

function countLines(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

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

interface Plan {
  /** Processes killed before the last one, which runs to the end. */
  kills: number;
  /** Kill the first process in its sleep. */
  inSleep: boolean;
  /** After a kill in the sleep: wait in the downtime until it is due (else resume at once). */
  letSleepComeDue: boolean;
  durability: 'normal' | 'full';
}

function planFor(seed: number, random: () => number): Plan {
  return {
    kills: 1 + (random() < 0.4 ? 1 : 0) + (random() < 0.2 ? 1 : 0),
    inSleep: seed % 3 === 0,
    letSleepComeDue: seed % 6 !== 3,
    durability: seed % 4 === 0 ? 'full' : 'normal',
  };
}

function sleepEntry(j: Journal): JournalStep | undefined {
  return j.steps.find((x) => x.kind === 'sleep');
}

async function show(box: Sandbox, id: string): Promise<Journal> {
  return box.json<Journal>(['show', id]);
}

/** Run one seed: start, kill, (signal), resume... until the run ends; the sandbox is left for the caller to remove. */
async function scenario(box: Sandbox, seed: number, override: Partial<Plan> = {}): Promise<Scenario> {
  const random = rng(seed);
  const input: Input = {
    file: box.path('effects.txt'),
    base: 1 + Math.floor(random() * 9),
    stepMs: 8 + Math.floor(random() * 20),
    sleepMs: 600 + Math.floor(random() * 300),
  };
  const payload: Payload = { bonus: 1000 + seed, tag: `seed-${seed}` };
  const plan = { ...planFor(seed, random), ...override };
  const env = { BATON_DURABILITY: plan.durability };
  // Up to the signal wait: nine steps of two pauses, the sleep, and some overhead.
  const span = 9 * (2 * input.stepMs + 10) + input.sleepMs + 150;
  const procs: Proc[] = [];
  const snapshots: Snapshot[] = [];
  let runId = '';
  let childId = '';
  let signal: Scenario['signal'];
  const where = () => `seed ${seed}, process ${procs.length + 1}${runId ? ` of run ${runId}` : ''}`;

  let current: ChildProcess | undefined;
  try {
    for (let k = 0; ; k++) {
      const args = k === 0 ? ['run', FIXTURE, '--input', JSON.stringify(input)] : ['resume', runId];
      const spawnAt = Date.now();
      const p = box.start(args, env);
      current = p.child;
      let exit: CliResult | undefined;
      void p.done.then((r) => (exit = r));
      await until(() => /▶ run (\S+)/.test(p.output()) || exit !== undefined, 30_000);
      const announced = /▶ run (\S+)/.exec(p.output());
      if (!announced) {
        const r = await p.done;
        throw new Error(`${where()}: "baton ${args[0]}" ended (${r.code ?? r.signal}) before the run started\n${r.stdout}\n${r.stderr}`);
      }
      runId ||= announced[1] as string;
      const proc: Proc = { args, spawnAt, announceAt: Date.now(), end: 'finished' };
      procs.push(proc);

      if (k < plan.kills) {
        // The kill point: a random instant of the run's span (in the sleep, for some seeds).
        if (k === 0 && plan.inSleep) await until(() => p.output().includes('[sleep()] started') || exit !== undefined, 30_000);
        const delay = k === 0 && plan.inSleep ? random() * 0.9 * input.sleepMs : random() * span;
        const end = Date.now() + delay;
        while (exit === undefined && Date.now() < end) await pause(Math.min(10, end - Date.now()));
        if (exit === undefined) p.child.kill('SIGKILL');
      }
      const r = await Promise.race([p.done, pause(60_000).then(() => undefined)]);
      if (!r) {
        p.child.kill('SIGKILL');
        throw new Error(`${where()}: "baton ${args[0]}" still runs after 60 s\n${p.output()}`);
      }
      if (r.signal === 'SIGKILL') proc.end = 'killed';
      else if (r.code === 0) proc.end = 'finished';
      else throw new Error(`${where()}: "baton ${args[0]}" ended with ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
      if (proc.end === 'finished') {
        if (r.stderr !== '') throw new Error(`${where()}: stderr: ${r.stderr}`);
        break;
      }

      // The downtime: look at the journal, let the sleep come due, maybe send the signal.
      const parent = await show(box, runId);
      // Killed after the run had ended (between its last write and the exit): nothing to resume.
      if (parent.status === 'succeeded') break;
      if (!childId && parent.steps.some((x) => x.kind === 'child')) {
        const runs = await box.json<Array<{ id: string }>>(['runs']);
        childId = runs.map((x) => x.id).find((id) => id.startsWith(`${runId}.`)) ?? '';
      }
      const child = childId ? await show(box, childId) : undefined;
      snapshots.push({ parent, child, lines: box.lines('effects.txt') });
      const waitingSleep = sleepEntry(parent);
      if (plan.letSleepComeDue && waitingSleep && waitingSleep.status !== 'succeeded') {
        const due = ms(waitingSleep.startedAt) + input.sleepMs;
        while (Date.now() <= due + 20) await pause(due + 25 - Date.now());
      }
      const lastKill = k + 1 >= plan.kills;
      if (signal === undefined && (lastKill || random() < 0.45)) {
        const sent = await box.run(['signal', runId, 'go', JSON.stringify(payload)]);
        if (sent.code !== 0) throw new Error(`${where()}: baton signal: ${sent.stdout}${sent.stderr}`);
        signal = { afterProc: k, runWasWaiting: parent.steps.some((x) => x.id === 'signal(go)') };
      }
    }
  } finally {
    // On a failure above: no process left behind to write into a removed sandbox.
    if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
  }

  const parent = await show(box, runId);
  if (!childId) {
    const runs = await box.json<Array<{ id: string }>>(['runs']);
    childId = runs.map((x) => x.id).find((id) => id.startsWith(`${runId}.`)) ?? `${runId}.?`;
  }
  const child = await show(box, childId);
  const leftover = [...processesWith(box.dir), ...processesWith(runId)];
  if (leftover.length > 0) throw new Error(`${where()}: processes left: ${leftover.join(', ')}`);
  return { seed, input, payload, runId, childId, procs, snapshots, signal, final: { parent, child }, lines: box.lines('effects.txt') };
}

/** Every seed's outcome, `parallel` seeds at a time. */
async function runSeeds(seeds: number[], parallel: number): Promise<Array<{ seed: number; scenario?: Scenario; error?: string }>> {
  const out: Array<{ seed: number; scenario?: Scenario; error?: string }> = [];
  const queue = [...seeds];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const box = new Sandbox();
        try {
          out.push({ seed, scenario: await scenario(box, seed) });
        } catch (error) {
          out.push({ seed, error: (error as Error).message });
        } finally {
          box.remove();
        }
      }
    }),
  );
  return out.sort((a, b) => a.seed - b.seed);
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

  it('a run waiting for the signal stays up, and takes it when sent live', async () => {
    const box = new Sandbox();
    const input: Input = { file: box.path('effects.txt'), base: 2, stepMs: 5, sleepMs: 50 };
    const p = box.start(['run', FIXTURE, '--input', JSON.stringify(input)]);
    try {
      let exit: CliResult | undefined;
      void p.done.then((r) => (exit = r));
      await until(() => p.output().includes('[signal(go)] started') || exit !== undefined, 30_000);
      await pause(1500);
      expect(exit, `"baton run" ended by itself while the run waited for the signal: ${exit?.stderr ?? ''}`).toBeUndefined();
      const runId = (/▶ run (\S+)/.exec(p.output()) as RegExpExecArray)[1] as string;
      const payload: Payload = { bonus: 7, tag: 'live' };
      const sent = await box.run(['signal', runId, 'go', JSON.stringify(payload)]);
      expect(sent.stdout).toBe(`signal go sent to run ${runId}\n`);
      const r = await p.done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((await show(box, runId)).result).toEqual(expectedResult(input, payload));
    } finally {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      box.remove();
    }
  }, 30_000);

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
