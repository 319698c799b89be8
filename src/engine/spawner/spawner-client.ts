/**
 * @module engine/spawner/spawner-client
 * The engine's side of the spawner process: the same contract as
 * `runProcess` (process-runner.ts), performed in a child process started on
 * first use and restarted if it dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcessResult, ProcessSpec } from '../process-runner.js';
import { Outbox } from './outbox.js';
import type { FromSpawner, ToSpawner } from './protocol.js';

const MAIN = fileURLToPath(new URL('./spawner-main.js', import.meta.url));

interface Pending {
  spec: ProcessSpec;
  resolve: (r: ProcessResult) => void;
}

export class SpawnerClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The environment last sent as the spawner's base, and other bases found equal to it. */
  private base: Readonly<Record<string, string>> | undefined;
  private sameAsBase = new WeakSet<object>();
  private readonly outbox = new Outbox<ToSpawner>((batch) => {
    if (this.child?.connected) this.child.send(batch);
  });

  /** Start the spawner now (it takes a few tens of ms), so the first step does not wait. */
  warm(): void {
    this.ensure();
  }

  run(spec: ProcessSpec): Promise<ProcessResult> {
    if (spec.signal?.aborted) return Promise.resolve({ exitCode: null, signal: null, aborted: true });
    this.ensure();
    const id = this.nextId++;
    return new Promise<ProcessResult>((resolve) => {
      const onAbort = () => this.post({ op: 'abort', id });
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        spec,
        resolve: (r) => {
          spec.signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
      });
      this.holdOpen(true);
      const message: ToSpawner = { op: 'spawn', id, env: this.envOf(spec), killGraceMs: spec.killGraceMs ?? 5000 };
      if (spec.command !== undefined) message.command = spec.command;
      if (spec.argv !== undefined) message.argv = [...spec.argv];
      if (spec.cwd !== undefined) message.cwd = spec.cwd;
      if (spec.pool !== undefined) message.pool = spec.pool;
      this.outbox.push(message);
    });
  }

  /** The spawn's variables over the spawner's base environment (null: removed). */
  private envOf(spec: ProcessSpec): Record<string, string | null> {
    if (spec.baseEnv !== undefined) {
      this.useBase(spec.baseEnv);
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(spec.env)) out[k] = v ?? null;
      return out;
    }
    return this.envDiff(spec.env);
  }

  /** Make `env` the spawner's base, unless it is (or equals) the one it has. */
  private useBase(env: Readonly<Record<string, string>>): void {
    if (env === this.base || this.sameAsBase.has(env)) return;
    if (this.base && sameEntries(this.base, env)) {
      this.sameAsBase.add(env);
      return;
    }
    this.base = env;
    this.sameAsBase = new WeakSet();
    this.outbox.push({ op: 'base-env', env });
  }

  /** A whole environment as differences from the base, sending a new base when they are many. */
  private envDiff(env: NodeJS.ProcessEnv): Record<string, string | null> {
    const diff = (base: Readonly<Record<string, string>>) => {
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(env)) if (v !== undefined && base[k] !== v) out[k] = v;
      for (const k of Object.keys(base)) if (env[k] === undefined) out[k] = null;
      return out;
    };
    if (this.base) {
      const d = diff(this.base);
      if (Object.keys(d).length <= 16) return d;
    }
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('BATON_')) base[k] = v;
    this.useBase(base);
    return diff(base);
  }

  /** Ends the spawner once nothing runs (its children are ended by it if any still run). */
  close(): void {
    this.outbox.flush();
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.disconnect();
  }

  private post(m: ToSpawner): void {
    if (this.child?.connected) this.outbox.push(m);
  }

  private ensure(): ChildProcess {
    if (this.child?.connected) return this.child;
    this.base = undefined;
    this.sameAsBase = new WeakSet();
    const child = fork(MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], serialization: 'json' });
    child.on('message', (batch: FromSpawner[]) => {
      for (const m of batch) this.receive(m);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        this.child = undefined;
        // Queued for the spawner that died: their steps are reported below.
        this.outbox.clear();
      }
      // Whatever it was running is lost with it: report each as not started.
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.resolve({ exitCode: null, signal: null, aborted: false, spawnError: `the spawner process exited (${signal ?? code})` });
      }
      this.holdOpen(false);
    });
    this.child = child;
    this.holdOpen(this.pending.size > 0);
    return child;
  }

  /** While steps run, the channel keeps this process alive; when idle it does not. */
  private holdOpen(busy: boolean): void {
    const child = this.child;
    if (!child) return;
    const channel = child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (busy) {
      child.ref();
      channel?.ref?.();
    } else {
      child.unref();
      channel?.unref?.();
    }
  }

  private receive(m: FromSpawner): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.op === 'started') {
      p.spec.onStart?.();
      return;
    }
    if (m.op === 'lines') {
      for (const line of m.lines) p.spec.onLine?.(m.stream, line);
      return;
    }
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.holdOpen(false);
    p.resolve(m.result);
  }
}

function sameEntries(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k]);
}
