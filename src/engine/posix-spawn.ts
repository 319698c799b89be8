/**
 * @module engine/posix-spawn
 * Starts a command with posix_spawn(3), which glibc implements with
 * clone(CLONE_VM | CLONE_VFORK): the child shares the parent's memory until it
 * calls exec, so starting it costs the same from any parent. Node's
 * child_process forks instead (libuv uses posix_spawn on macOS only): fork
 * copies the page tables of the whole Node process and write-protects its
 * memory, about 0.8 ms of kernel time per process on this kind of machine,
 * twice what the process itself then costs to run `true`.
 *
 * The child is set up as libuv's uv_spawn sets up `spawn(file, args,
 * { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })`: a new session (so
 * its own process group), every signal at its default action and none
 * blocked, stdin from /dev/null, stdout and stderr into pipes read here.
 * Its exit is learnt from SIGCHLD and waitpid(pid) for each child started
 * here, never waitpid(-1): the children of child_process are libuv's to reap.
 *
 * Linux with glibc (libc.so.6), in the main thread (signals reach no other),
 * where koffi (a C FFI with prebuilt binaries) loads. Elsewhere, or
 * with BATON_SPAWN=node, `posixSpawn()` returns undefined and the caller
 * uses child_process.spawn.
 */
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';

/** What the process runner uses of a started process: ChildProcess's surface. */
export interface Launched extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

export type Launch = (file: string, args: readonly string[], opts: { cwd?: string | undefined; env: NodeJS.ProcessEnv }) => Launched;

/* eslint-disable @typescript-eslint/no-explicit-any -- koffi's functions are untyped */
type Fn = (...args: any[]) => any;

interface Libc {
  spawn: Fn;
  faInit: Fn;
  faDestroy: Fn;
  faDup2: Fn;
  faOpen: Fn;
  faChdir: Fn;
  pipe2: Fn;
  close: Fn;
  waitpid: Fn;
  errno: () => number;
  /** posix_spawnattr_t, made once: new session, default signals, empty mask. */
  attr: Buffer;
}

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_CLOEXEC = 0o2000000;
const WNOHANG = 1;
/** Larger than glibc's posix_spawn_file_actions_t (80 bytes) and posix_spawnattr_t (336). */
const FILE_ACTIONS_BYTES = 256;
const ATTR_BYTES = 1024;

let libc: Libc | null | undefined;

/** The launcher, or undefined where posix_spawn cannot be used here. */
export function posixSpawn(): Launch | undefined {
  if (libc === undefined) libc = load();
  return libc ? launch : undefined;
}

function load(): Libc | null {
  if (process.platform !== 'linux' || !isMainThread || process.env.BATON_SPAWN === 'node') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(signature: string): Fn };
      errno(): number;
    };
    const c = koffi.load('libc.so.6');
    const f = (signature: string) => c.func(signature);
    const lib: Libc = {
      spawn: f('int posix_spawn(void *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)'),
      faInit: f('int posix_spawn_file_actions_init(void *actions)'),
      faDestroy: f('int posix_spawn_file_actions_destroy(void *actions)'),
      faDup2: f('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
      faOpen: f('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, int mode)'),
      faChdir: f('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
      pipe2: f('int pipe2(void *fds, int flags)'),
      close: f('int close(int fd)'),
      waitpid: f('int waitpid(int pid, void *status, int options)'),
      errno: () => koffi.errno(),
      attr: Buffer.alloc(ATTR_BYTES),
    };
    // Every signal, glibc's own two included: sigfillset leaves those out,
    // and posix_spawn then sets them to SIG_IGN in the child, which exec keeps.
    const all = Buffer.alloc(128, 0xff);
    const none = Buffer.alloc(128);
    const ok =
      f('int posix_spawnattr_init(void *attr)')(lib.attr) === 0 &&
      f('int posix_spawnattr_setsigdefault(void *attr, void *set)')(lib.attr, all) === 0 &&
      f('int posix_spawnattr_setsigmask(void *attr, void *set)')(lib.attr, none) === 0 &&
      f('int posix_spawnattr_setflags(void *attr, short flags)')(lib.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) === 0;
    if (!ok) return null;
    process.on('SIGCHLD', reap);
    return lib;
  } catch {
    return null; // no koffi for this platform, or a libc without these functions
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

class Child extends EventEmitter implements Launched {
  pid: number | undefined;
  readonly stdout: Socket;
  readonly stderr: Socket;
  private open = 3; // the exit and two pipes
  private code: number | null = null;
  private signal: NodeJS.Signals | null = null;

  constructor(stdoutFd: number, stderrFd: number) {
    super();
    this.stdout = pipeReader(stdoutFd);
    this.stderr = pipeReader(stderrFd);
    this.stdout.on('close', () => this.closed());
    this.stderr.on('close', () => this.closed());
  }

  /** `status` as waitpid gives it; undefined when it was lost. */
  exited(status: number | undefined): void {
    const sig = (status ?? 0) & 0x7f;
    if (status === undefined) this.code = null;
    else if (sig === 0) this.code = (status >> 8) & 0xff;
    else this.signal = SIGNAL_NAMES.get(sig) ?? null;
    this.emit('exit', this.code, this.signal);
    this.closed();
  }

  failed(error: Error, code: number): void {
    this.code = code;
    this.emit('error', error);
    this.closed();
  }

  private closed(): void {
    if (--this.open === 0) this.emit('close', this.code, this.signal);
  }
}

function pipeReader(fd: number): Socket {
  return new Socket({ fd, readable: true, writable: false });
}

const children = new Map<number, Child>();
let sweep: NodeJS.Timeout | undefined;
const status = new Int32Array(1);

/**
 * SIGCHLD: reap whichever of our children exited. Signals coalesce, so every
 * child is asked. The interval, kept while children run, holds the event
 * loop open until each exit is seen (its pipes may close first) and would
 * catch an exit whose signal never came.
 */
function reap(): void {
  const c = libc;
  if (!c) return;
  for (const [pid, child] of children) {
    const r = c.waitpid(pid, status, WNOHANG) as number;
    if (r === 0) continue;
    children.delete(pid);
    // -1 (ECHILD): reaped by someone else; its status is lost.
    child.exited(r === pid ? status[0] : undefined);
  }
  if (children.size === 0 && sweep) {
    clearInterval(sweep);
    sweep = undefined;
  }
}

const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function launch(file: string, args: readonly string[], opts: { cwd?: string | undefined; env: NodeJS.ProcessEnv }): Launched {
  const c = libc as Libc;
  const envp: Array<string | null> = [];
  // for...in, as child_process does: a layered environment's base is inherited.
  for (const k in opts.env) {
    const v = opts.env[k];
    if (v !== undefined) envp.push(`${k}=${v}`);
  }
  const argv = [file, ...args];
  for (const s of [...argv, ...envp, opts.cwd ?? '']) {
    if (s?.includes('\0')) throw new TypeError(`spawn ${file}: an argument, variable or working directory holds a NUL byte`);
  }
  envp.push(null);
  const out = fdPair(c);
  let err: [number, number];
  try {
    err = fdPair(c);
  } catch (error) {
    c.close(out[0]);
    c.close(out[1]);
    throw error;
  }
  const child = new Child(out[0], err[0]);
  const path = resolveFile(file, opts.env.PATH);
  const actions = Buffer.alloc(FILE_ACTIONS_BYTES);
  c.faInit(actions);
  let failure = 0;
  try {
    // Each returns 0 or an error number.
    failure =
      (c.faOpen(actions, 0, '/dev/null', 0, 0) as number) ||
      (c.faDup2(actions, out[1], 1) as number) ||
      (c.faDup2(actions, err[1], 2) as number) ||
      (opts.cwd !== undefined ? (c.faChdir(actions, opts.cwd) as number) : 0);
    if (failure === 0 && path === undefined) failure = osConstants.errno.ENOENT;
    if (failure === 0) {
      const pid = new Int32Array(1);
      failure = c.spawn(pid, path, actions, c.attr, [...argv, null], envp) as number;
      if (failure === 0) {
        child.pid = pid[0];
        children.set(child.pid ?? 0, child);
        sweep ??= setInterval(reap, 1000);
      }
    }
  } finally {
    c.faDestroy(actions);
    c.close(out[1]);
    c.close(err[1]);
  }
  if (failure !== 0) {
    const name = ERRNO_NAMES.get(failure) ?? `errno ${failure}`;
    const where = opts.cwd !== undefined ? ` (in ${opts.cwd})` : '';
    const error = Object.assign(new Error(`spawn ${file} ${name}${where}`), { code: name, errno: -failure, syscall: `spawn ${file}`, path: file });
    process.nextTick(() => child.failed(error, -failure));
  }
  return child;
}

/** A pipe, both ends close-on-exec (the child's ends are dup2'ed to 1 and 2, which clears it). */
function fdPair(c: Libc): [number, number] {
  const fds = new Int32Array(2);
  if (c.pipe2(fds, O_CLOEXEC) !== 0) {
    const name = ERRNO_NAMES.get(c.errno()) ?? 'unknown error';
    throw new Error(`spawn: cannot make a pipe (${name})`);
  }
  return [fds[0] ?? -1, fds[1] ?? -1];
}

/** As execvp looks up a name without a slash, in the child's PATH (as libuv does). */
function resolveFile(file: string, path: string | undefined): string | undefined {
  if (file.includes('/')) return file;
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir || '.', file);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
