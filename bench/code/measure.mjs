// One measurement: a fresh child process (bench/code/child.mjs) that times
// itself; resolves with the JSON line it prints.
import { spawn } from 'node:child_process';
import { CHILD, ROOT } from './common.mjs';

const CHILD_TIMEOUT_MS = 120_000;

/** Spawn one measurement; resolves with its JSON line, rejects unless it exits 0 with one. */
export function measure(scenario, contender, durability, db) {
  return new Promise((resolve, reject) => {
    const args = [CHILD, scenario, contender, durability, '--db', db];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const name = `code ${scenario} ${contender} (${durability})`;
      if (code === 0 && !timedOut) {
        try {
          return resolve(JSON.parse(out.trim().split('\n').pop()));
        } catch {
          return reject(new Error(`${name}: no result on stdout\n${out.slice(-1000)}\n${err.slice(-1000)}`));
        }
      }
      const why = timedOut ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s` : `exit ${code ?? signal}`;
      reject(new Error(`${name} FAILED (${why}): node ${args.join(' ')}\n${err.slice(-2000)}`));
    });
  });
}
