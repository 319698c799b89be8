/**
 * The driver of the code-crash tests: one seed's scenario through the built
 * CLI on a real SQLite file (`baton run` of test/fixtures/code-crash, kill -9
 * at random instants, the journal read in each downtime, the signal sent
 * once while no process runs, `baton resume` until the run ends), seeds run
 * a few at a time, and the types of what `baton show --json` prints for it.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { processesWith, Sandbox, until, type CliResult } from '../helpers/cli.js';

export const FIXTURE = resolve(import.meta.dirname, '../fixtures/code-crash/crash.ts');

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s / 2 ** 32;
  };
}

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Attempt {
  attempt: number;
  status: string;
}

export interface JournalStep {
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
export interface Journal {
  id: string;
  status: string;
  error: string | null;
  result?: unknown;
  steps: JournalStep[];
}

export interface Input {
  file: string;
  base: number;
  stepMs: number;
  sleepMs: number;
}

export interface Payload {
  bonus: number;
  tag: string;
}

/** One process that drove the run. */
export interface Proc {
  args: string[];
  spawnAt: number;
  /** When its "▶ run ID" line was seen: the run is loaded and goes on. */
  announceAt: number;
  end: 'killed' | 'finished';
}

/** The state in a downtime, right after a process ended. */
export interface Snapshot {
  parent: Journal;
  child: Journal | undefined;
  lines: string[];
}

export interface Scenario {
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

export function expectedResult(input: Input, payload: Payload): unknown {
  const child = 600 * input.base;
  return { total: 55 * input.base + child + payload.bonus, child, go: payload };
}

export const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

export interface Plan {
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

export function sleepEntry(j: Journal): JournalStep | undefined {
  return j.steps.find((x) => x.kind === 'sleep');
}

export async function show(box: Sandbox, id: string): Promise<Journal> {
  return box.json<Journal>(['show', id]);
}

/** Run one seed: start, kill, (signal), resume... until the run ends; the sandbox is left for the caller to remove. */
export async function scenario(box: Sandbox, seed: number, override: Partial<Plan> = {}): Promise<Scenario> {
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
export async function runSeeds(seeds: number[], parallel: number): Promise<Array<{ seed: number; scenario?: Scenario; error?: string }>> {
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
