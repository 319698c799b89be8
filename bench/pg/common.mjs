// The PostgreSQL section's settings and small helpers, shared by its modules
// (bench/pg.mjs explains the scenarios and contenders).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
/** A worker process of a measurement (bench/pg/child.mjs). */
export const CHILD = join(BENCH, 'pg', 'child.mjs');
export const DIST = join(ROOT, 'dist');
export const PEERS = join(BENCH, 'peers');
export const TASK = join(BENCH, 'pg-task.mjs');

export const PG_URL = process.env.BATON_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = new URL(process.env.BATON_BENCH_REDIS ?? 'redis://127.0.0.1:6379');
export const REDIS = { host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379) };

export const SHAPE = { runs: 20, steps: 1000 }; // throughput: baton's runs x steps; peers get runs x steps jobs
export const CHAIN = 500;
/** The chain's reference row: a hop that is one commit and nothing else (measureFloor). */
export const FLOOR = 'floor';
export const WIDTH = 1000;
export const WORKERS = [1, 2, 4];
export const BATON = { concurrency: 24, leaseMs: 30_000, heartbeatMs: 10_000, sweepMs: 5000 };
// 'baton (default)': what `baton worker --db URL` runs with, no option given (WORKER_DEFAULTS).
export const BATON_DEFAULT = { defaults: true };
export const CONTENDERS = ['baton', 'baton (default)', 'graphile-worker (tuned)', 'graphile-worker (batched)', 'graphile-worker (default)', 'pg-boss', 'BullMQ'];
export const CASES = [...WORKERS.map((n) => ['throughput', n]), ['chain', 1], ['fanout', 1]];
export const MEASURE_TIMEOUT_MS = 300_000;
export const READY_TIMEOUT_MS = 60_000;

export const DEBUG = process.env.BATON_BENCH_DEBUG === '1';
export const debug = (msg) => DEBUG && process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${msg}\n`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const qi = (name) => `"${name.replace(/"/g, '""')}"`;
export const withDatabase = (url, db) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

/** The keys a scenario's jobs record; a chain of `warm` + CHAIN jobs (warm: hops not measured, `run --warm`). */
export function keysOf(scenario, shape = SHAPE, warm = 0) {
  if (scenario === 'throughput') {
    const keys = [];
    for (let r = 0; r < shape.runs; r++) for (let i = 0; i < shape.steps; i++) keys.push(`t${r}/s${i}`);
    return keys;
  }
  if (scenario === 'chain') return Array.from({ length: warm + CHAIN }, (_, i) => `c/s${i}`);
  return ['f/first', ...Array.from({ length: WIDTH }, (_, i) => `f/s${i}`), 'f/join'];
}

/** Nearest rank. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

export const dist = (path) => import(pathToFileURL(join(DIST, path)).href);
