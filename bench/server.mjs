// baton benchmarks, section "server": `baton server` over real HTTP on
// loopback, as a client sees it. Imported by bench/run.mjs
// (`node bench/run.mjs --only server`).
//
//   trigger    POST /api/workflows/one/runs, one after another (200 in all),
//              time from sending the request to the step:started event of
//              that run on the server's event stream (/api/stream): the
//              trigger-to-start latency; p50 and p99. The workflow is one
//              `true` task; the server is the embedded store (durability
//              full), its worker at concurrency 8.
//   list       100,000 runs in the store (made before the server starts,
//              through the store's createRun, 1,000 per workflow of 100),
//              then GET /api/runs pages of 50: the first page, a workflow's
//              first page, a status filter, and pages deep in the history
//              (?before= the last id of a page 1,000 pages in), and the
//              console's filters (trigger, search, a time range); 50 requests
//              each, p50 and p99. Target: under 100 ms per page.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const TRIGGERS = 200;
const RUNS = 100_000;
const WORKFLOWS = 100;
const REQUESTS = 50;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (v) => `${v.toFixed(2)} ms`;

export async function startServer(cli, folder, home) {
  const child = spawn(process.execPath, [cli, 'server', folder, '--port', '0', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const until = Date.now() + 30_000;
  // The first start prints where it listens, then the admin token and its link.
  while (!/^Open http/m.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const base = /listening on (http:\S+)/.exec(out)?.[1];
  const token = /^\s+(baton_\S+)$/m.exec(out)?.[1];
  if (!base || !token) throw new Error(`the server did not start:\n${out}`);
  return { child, base, token, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

/** 100,000 finished runs (1,000 per workflow w0..w99, one in four failed, no steps) made through the store's createRun, before a server starts on HOME. */
export async function seedRuns(root, home, log) {
  const { SqliteStore } = await import(pathToFileURL(join(root, 'dist/store/sqlite/sqlite-store.js')).href);
  const store = new SqliteStore({ path: join(home, 'baton.db'), durability: 'normal' });
  await store.migrate();
  const t0 = performance.now();
  const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed'];
  let made = 0;
  for (let w = 0; w < WORKFLOWS; w++) {
    const workflow = `w${w}`;
    const definition = { name: workflow, inputs: {}, env: {}, secrets: [], failFast: false, tasks: [{ id: 'a', command: 'true', dependsOn: [], retry: { attempts: 1 }, env: {} }] };
    const batch = [];
    for (let i = 0; i < RUNS / WORKFLOWS; i++) {
      const id = `${(1_700_000_000_000 + made * 1000).toString(36).padStart(9, '0')}${String(made).padStart(7, '0')}`;
      const status = statuses[made % statuses.length];
      made++;
      // Finished runs hold no step left to do: a step left ready would be work the
      // server's worker looks at (the history is what a list page reads, not a queue).
      batch.push(store.createRun({ id, workflow, definition, input: {}, steps: [] }, 'bench').then(() => store.setRunStatus(id, ['running'], status)));
    }
    await Promise.all(batch);
  }
  await store.close();
  log(`  made ${RUNS.toLocaleString('en-US')} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Send each trigger, wait for its step:started on the event stream. */
async function benchTrigger(cli, work) {
  const dir = join(work, 'server-trigger');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'flows'), { recursive: true });
  writeFileSync(join(dir, 'flows', 'one.yaml'), 'name: one\ntasks:\n  - id: a\n    command: "true"\n');
  const s = await startServer(cli, join(dir, 'flows'), join(dir, 'home'));
  try {
    const auth = { authorization: `Bearer ${s.token}` };
    const controller = new AbortController();
    const stream = await fetch(`${s.base}/api/stream`, { headers: auth, signal: controller.signal });
    const waiting = new Map();
    const arrived = new Map(); // step:started that came before the POST's answer
    (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of stream.body) {
        buf += decoder.decode(chunk);
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.includes('event: step:started')) continue;
          const data = JSON.parse(/^data: (.*)$/m.exec(block)[1]);
          const at = performance.now();
          const w = waiting.get(data.runId);
          if (w) w(at);
          else arrived.set(data.runId, at);
        }
      }
    })().catch(() => undefined);
    const times = [];
    for (let i = 0; i < TRIGGERS; i++) {
      const t0 = performance.now();
      let resolve;
      const started = new Promise((r) => (resolve = r));
      const res = await fetch(`${s.base}/api/workflows/one/runs`, { method: 'POST', headers: auth, body: '{}' });
      const { runId } = await res.json();
      waiting.set(runId, resolve);
      if (arrived.has(runId)) resolve(arrived.get(runId));
      const t1 = await Promise.race([started, new Promise((_, rej) => setTimeout(() => rej(new Error(`run ${runId} did not start in 10 s`)), 10_000))]);
      waiting.delete(runId);
      times.push(t1 - t0);
    }
    controller.abort();
    return { p50: pct(times, 50), p99: pct(times, 99) };
  } finally {
    await s.stop();
  }
}

/** 100,000 runs, then pages of the run list. */
async function benchList(root, cli, work, log) {
  const dir = join(work, 'server-list');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'flows'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'flows', 'w0.yaml'), 'name: w0\ntasks:\n  - id: a\n    command: "true"\n');
  await seedRuns(root, join(dir, 'home'), log);
  const s = await startServer(cli, join(dir, 'flows'), join(dir, 'home'));
  try {
    const auth = { authorization: `Bearer ${s.token}` };
    const get = async (path) => {
      const t = performance.now();
      const res = await fetch(s.base + path, { headers: auth });
      const body = await res.json();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t, body };
    };
    // A cursor 1,000 pages (50,000 runs) deep.
    let before;
    for (let p = 0; p < 1000; p += 100) before = (await get(`/api/runs?limit=500${before ? `&before=${before}` : ''}`)).body.next;
    const cases = [
      ['first page', '/api/runs?limit=50'],
      ['one workflow', '/api/runs?limit=50&workflow=w42'],
      ['status failed', '/api/runs?limit=50&status=failed'],
      ['50,000 runs deep', `/api/runs?limit=50&before=${before}`],
      // The console's filters: each a scan when nothing (or little) matches.
      ['trigger schedule (none)', '/api/runs?limit=50&trigger=schedule'],
      ['search input text (none)', '/api/runs?limit=50&q=no-such-text'],
      ['search run id prefix', `/api/runs?limit=50&q=${before.slice(0, 12)}`],
      ['one hour of creation time', `/api/runs?limit=50&since=${1_700_000_000_000 + 40_000_000}&until=${1_700_000_000_000 + 43_600_000}`],
    ];
    const rows = [];
    for (const [name, path] of cases) {
      const times = [];
      for (let i = 0; i < REQUESTS; i++) times.push((await get(path)).ms);
      rows.push([name, pct(times, 50), pct(times, 99)]);
    }
    return rows;
  } finally {
    await s.stop();
  }
}

export async function benchServer({ root, cli, work, log, table }) {
  log('  trigger-to-start latency');
  const trigger = await benchTrigger(cli, work);
  log(`    p50 ${ms(trigger.p50)}, p99 ${ms(trigger.p99)}`);
  log('  run list with 100,000 runs');
  const list = await benchList(root, cli, work, log);
  for (const [name, p50, p99] of list) log(`    ${name}: p50 ${ms(p50)}, p99 ${ms(p99)}`);
  const worst = Math.max(...list.map((r) => r[2]));
  return [
    `### baton server over HTTP (embedded store)`,
    table(['>measure', '>p50', '>p99'], [[`trigger to step start (${TRIGGERS} runs, one at a time)`, ms(trigger.p50), ms(trigger.p99)]]),
    table(['run list, 100,000 runs, pages of 50', '>p50', '>p99'], list.map(([name, p50, p99]) => [name, ms(p50), ms(p99)])),
    `target: a page under 100 ms: ${worst < 100 ? 'PASS' : 'FAIL'} (worst p99 ${ms(worst)})`,
  ];
}
