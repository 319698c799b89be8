/**
 * @module engine/process-runner
 * Runs one command as the leader of its own process group and reports its
 * output line by line. Aborting (timeout, cancel) sends SIGTERM to the whole
 * group, then SIGKILL after a grace period, so no grandchild survives; when
 * the leader exits on its own, what it left behind in its group is ended the
 * same way (as CI runners clean up orphan processes).
 */
import { spawn } from 'node:child_process';
import { LineSplitter } from './line-splitter.js';
import { posixSpawn, type Launch, type Launched } from './posix-spawn.js';
import { SlotPools } from './slot-pool.js';

export interface ProcessSpec {
  /** Run under `/bin/sh -c`. */
  command?: string;
  /** Run without a shell: [file, ...args]. */
  argv?: readonly string[];
  cwd?: string;
  /** The command's own variables, over `baseEnv`; an undefined value removes one. */
  env: NodeJS.ProcessEnv;
  /**
   * The environment many commands share (a run's), never changed once given:
   * the spawner process receives it once and then only each command's `env`.
   */
  baseEnv?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Called when the process has started (after waiting for a slot of `pool`, if any). */
  onStart?: () => void;
  /** At most `limit` processes of the same pool id run at once (a run's concurrency). */
  pool?: { id: string; limit: number };
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process was stopped because the signal aborted. */
  aborted: boolean;
  /** The process could not be started (e.g. no such file); the message says why. */
  spawnError?: string;
}

const pools = new SlotPools();

/** Run a command, first waiting for a slot of its pool when it names one. */
export async function runInPool(spec: ProcessSpec, slots: SlotPools = pools): Promise<ProcessResult> {
  if (!spec.pool) return runProcess(spec);
  let release: () => void;
  try {
    release = await slots.acquire(spec.pool.id, spec.pool.limit, spec.signal);
  } catch {
    return { exitCode: null, signal: null, aborted: true };
  }
  try {
    return await runProcess(spec);
  } finally {
    release();
  }
}

export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const grace = spec.killGraceMs ?? 5000;
  return new Promise<ProcessResult>((resolve) => {
    if (spec.signal?.aborted) {
      resolve({ exitCode: null, signal: null, aborted: true });
      return;
    }
    const [file, args] = spec.command !== undefined ? ['/bin/sh', ['-c', spec.command]] : [spec.argv?.[0] ?? '', spec.argv?.slice(1) ?? []];
    const child = (posixSpawn() ?? nodeSpawn)(file, args, { cwd: spec.cwd, env: spec.baseEnv ? layeredEnv(spec.baseEnv, spec.env) : spec.env });
    let aborted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnError: string | undefined;
    spec.onStart?.();

    /** False when no process of the group was left to signal. */
    const killGroup = (sig: NodeJS.Signals): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, sig);
        return true;
      } catch {
        return false; // ESRCH: the group is already gone.
      }
    };
    const terminate = (): void => {
      if (!killGroup('SIGTERM')) return;
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), grace);
      killTimer.unref();
    };
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    // Made on the first output: most commands write nothing.
    let out: LineSplitter | undefined;
    let err: LineSplitter | undefined;
    child.stdout.on('data', (chunk: Buffer) => (out ??= new LineSplitter((line) => spec.onLine?.('stdout', line))).push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err ??= new LineSplitter((line) => spec.onLine?.('stderr', line))).push(chunk));

    child.on('error', (error) => {
      spawnError = error.message;
    });
    // The leader exited: end whatever it left in its group, which also frees
    // pipes a background grandchild would otherwise hold open.
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      terminate();
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      out?.end();
      err?.end();
      const result: ProcessResult = {
        exitCode: exit?.code ?? code,
        signal: exit?.signal ?? signal,
        aborted,
      };
      if (spawnError !== undefined) result.spawnError = spawnError;
      resolve(result);
    });
  });
}

/** child_process's spawn, set up as posix-spawn.ts sets up its children. */
export const nodeSpawn: Launch = (file, args, opts): Launched =>
  spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * `vars` over `base` without copying `base`: an object whose prototype is
 * `base`. child_process reads inherited variables too (it walks the
 * environment with for...in, on purpose), and leaves out undefined ones.
 */
function layeredEnv(base: Readonly<Record<string, string>>, vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.create(base) as NodeJS.ProcessEnv;
  for (const k of Object.keys(vars)) env[k] = vars[k];
  return env;
}
