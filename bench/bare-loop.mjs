// The floor for scheduling a task graph from Node: no store, no events, no
// logs. Reads a bare JSON array of { id, command, dependsOn } (the file baton
// runs), keeps an in-degree count per task and a ready queue, and runs up to N
// commands at once, each spawned the way baton's process runner does
// (src/engine/process-runner.ts): `/bin/sh -c CMD`, its own process group
// (detached), stdio ['ignore', 'pipe', 'pipe'] with both pipes read, the group
// signalled when the leader exits, done on 'close'.
//
// LAUNCHER: `node` (the default) starts each command with child_process.spawn;
// `posix` with baton's own launcher (dist/engine/posix-spawn.js, posix_spawn),
// so the two loops show what the launcher saves and what baton's bookkeeping
// costs on top of the same launcher.
//
//   node bench/bare-loop.mjs GRAPH.json N [node|posix]
//
// Exit code 0 when every task exited 0, 1 otherwise.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [file, n, launcher = 'node'] = process.argv.slice(2);
const limit = Number(n);
if (!file || !(limit >= 1) || !['node', 'posix'].includes(launcher)) {
  process.stderr.write('usage: node bench/bare-loop.mjs GRAPH.json N [node|posix]\n');
  process.exit(2);
}
const launch = launcher === 'node' ? nodeSpawn : await posixLauncher();

async function posixLauncher() {
  const { posixSpawn } = await import('../dist/engine/posix-spawn.js');
  const fast = posixSpawn();
  if (!fast) {
    process.stderr.write('bare-loop: posix_spawn is not available here (see src/engine/posix-spawn.ts)\n');
    process.exit(2);
  }
  return fast;
}

function nodeSpawn(file, args, opts) {
  return spawn(file, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

const tasks = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(tasks.map((t) => [t.id, t]));
const unmet = new Map(tasks.map((t) => [t.id, (t.dependsOn ?? []).length]));
const dependents = new Map(tasks.map((t) => [t.id, []]));
for (const t of tasks) for (const d of t.dependsOn ?? []) dependents.get(d).push(t.id);

const ready = tasks.filter((t) => unmet.get(t.id) === 0).map((t) => t.id);
let head = 0; // ready[head..] is the queue
let running = 0;
let done = 0;
let failed = 0;

function start(id) {
  running++;
  const child = launch('/bin/sh', ['-c', byId.get(id).command], { env: process.env });
  child.stdout.on('data', () => {});
  child.stderr.on('data', () => {});
  child.on('error', () => {}); // reported as a non-zero close below
  child.on('exit', () => {
    try {
      process.kill(-child.pid, 'SIGTERM'); // what the leader left in its group
    } catch {
      // ESRCH: the group is gone
    }
  });
  child.on('close', (code) => {
    running--;
    done++;
    if (code !== 0) {
      failed++;
      process.stderr.write(`bare-loop: task ${id} exited ${code}\n`);
    } else {
      for (const d of dependents.get(id)) {
        const left = unmet.get(d) - 1;
        unmet.set(d, left);
        if (left === 0) ready.push(d);
      }
    }
    pump();
  });
}

function pump() {
  while (running < limit && head < ready.length) start(ready[head++]);
}

process.on('exit', () => {
  if (failed === 0 && done !== tasks.length) {
    process.stderr.write(`bare-loop: only ${done} of ${tasks.length} tasks ran (a cycle?)\n`);
    process.exitCode = 1;
  } else if (failed > 0) {
    process.exitCode = 1;
  }
});
pump();
