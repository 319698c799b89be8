/**
 * Runs the built `baton` CLI as a user would: a real child process, in a
 * temporary directory holding the workflow files and the .baton state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Sandbox {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, text: string): string {
    writeFileSync(this.path(name), text);
    return this.path(name);
  }

  read(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  lines(name: string): string[] {
    try {
      return this.read(name).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  spawn(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], {
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: '1', BATON_DURABILITY: 'normal', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Start the CLI without waiting: its output so far, and its result when it ends. */
  start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; done: Promise<CliResult> } {
    const child = this.spawn(args, env);
    const done = collect(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out, done };
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return collect(this.spawn(args, env));
  }

  async json<T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
    const r = await this.run([...args, '--json'], env);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(marker) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Resolves when `pred` holds, checking at each output chunk of the child or every 20 ms. */
export async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StepJson {
  id: string;
  status: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  outputs: Record<string, string>;
  kind: string;
  history: Array<{ attempt: number; status: string }>;
}

export interface RunJson {
  id: string;
  workflow: string;
  status: string;
  error: string | null;
  runAttempt: number;
  steps: StepJson[];
}

export function step(run: RunJson, id: string): StepJson {
  const s = run.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id} in ${run.steps.map((x) => x.id).join(', ')}`);
  return s;
}
