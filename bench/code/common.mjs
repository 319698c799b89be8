// The code section's settings, paths and small helpers shared by its modules
// (bench/code.mjs explains the scenarios and contenders).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
/** The child process of a measurement (bench/code/child.mjs). */
export const CHILD = join(BENCH, 'code', 'child.mjs');
export const MIGRATIONS = join(ROOT, 'src/store/sqlite/migrations');

export const CHAIN_STEPS = 500;
export const THROUGHPUT_SHAPE = '1x20x1000'; // runs x sequential batches x steps per Promise.all
export const FANOUT_WIDTH = 1000;

export const CONTENDERS = [
  ['baton', 'full'],
  ['raw', 'full'],
  ['baton', 'normal'],
  ['raw', 'normal'],
];
export const SCENARIOS = ['chain', 'throughput', 'fanout'];

export const removeDb = (path) => {
  for (const s of ['', '-wal', '-shm', '-journal']) rmSync(path + s, { force: true });
};

/** p-th percentile, nearest rank. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function latencyStats(times) {
  const d = [];
  for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  return { steps: d.length, p50: percentile(d, 50), p99: percentile(d, 99), max: Math.max(...d), mean: (times.at(-1) - times[0]) / d.length, ms: times.at(-1) - times[0] };
}

export function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}
