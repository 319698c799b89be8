/**
 * @module engine/spawner/spawner-main
 * The spawner process: runs commands for the engine (process-runner.ts, one
 * process group each) and streams their lines back over IPC. Starting
 * processes and reading their pipes happens here, on another core than the
 * engine's event loop (where posix_spawn is not available, forking from this
 * small process is also several times cheaper than from the engine). When the
 * engine goes away (even by kill -9) the IPC channel closes, and every process
 * group started here is ended.
 */
import { posixSpawn } from '../posix-spawn.js';
import { runInPool } from '../process-runner.js';
import { Outbox } from './outbox.js';
import type { FromSpawner, ToSpawner } from './protocol.js';

// Load the launcher now, while the engine starts, not on the first command.
posixSpawn();

const running = new Map<number, AbortController>();
let baseEnv: Record<string, string> = {};
const outbox = new Outbox<FromSpawner>((batch) => process.send?.(batch));
const send = (m: FromSpawner) => outbox.push(m);

process.on('message', (batch: ToSpawner[]) => {
  for (const m of batch) receive(m);
});

function receive(m: ToSpawner): void {
  if (m.op === 'abort') {
    running.get(m.id)?.abort();
    return;
  }
  if (m.op === 'base-env') {
    baseEnv = m.env;
    return;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const k of Object.keys(m.env)) env[k] = m.env[k] ?? undefined;
  const abort = new AbortController();
  running.set(m.id, abort);
  let batch: { stream: 'stdout' | 'stderr'; lines: string[] } | undefined;
  const flush = () => {
    if (batch) send({ op: 'lines', id: m.id, ...batch });
    batch = undefined;
  };
  const spec = {
    env,
    baseEnv,
    signal: abort.signal,
    killGraceMs: m.killGraceMs,
    onLine: (stream: 'stdout' | 'stderr', line: string) => {
      if (batch && batch.stream !== stream) flush();
      if (!batch) {
        batch = { stream, lines: [] };
        setImmediate(flush);
      }
      batch.lines.push(line);
    },
    onStart: () => send({ op: 'started', id: m.id }),
    ...(m.cwd !== undefined ? { cwd: m.cwd } : {}),
    ...(m.pool !== undefined ? { pool: m.pool } : {}),
  };
  void runInPool(m.command !== undefined ? { ...spec, command: m.command } : { ...spec, argv: m.argv ?? [] }).then((result) => {
    flush();
    running.delete(m.id);
    send({ op: 'done', id: m.id, result });
  });
}

// Ctrl-C reaches the whole foreground process group, this process included:
// the engine decides what to stop (abort messages), or the disconnect does.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

process.on('disconnect', () => {
  for (const abort of running.values()) abort.abort();
  const exitWhenDone = () => (running.size === 0 ? process.exit(0) : setTimeout(exitWhenDone, 50));
  exitWhenDone();
});
