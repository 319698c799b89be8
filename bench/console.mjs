// baton benchmarks, section "console": the web console in Debian's Chromium
// (playwright-core), against `baton server` on loopback. Imported by
// bench/run.mjs (`node bench/run.mjs --only console`).
//
//   bundle     the built files of dist/console/assets: bytes, and gzipped.
//   runs page  100,000 runs in the store (bench/server.mjs seedRuns); the runs
//              page loaded 10 times in a fresh page, signed in: time from
//              navigation start to the first contentful paint, and to the
//              first page of runs drawn (50 rows). Target: under 1 s.
//   graph      a file workflow of 1,000 tasks (10 layers of 100, each task of
//              a layer depending on 2 of the layer above; every command
//              `true`): its page loaded 3 times, time from its definition
//              received (the fetch's responseEnd) to its 1,000 boxes drawn
//              (dagre layout, React, SVG; target: under 1 s), and from
//              navigation (the app loaded, signed in, fetched).
//   live       a run of that workflow, watched on its run page from start to
//              success: the gaps between animation frames (p50, p99, worst)
//              and how many exceeded 100 ms, while the graph recolours live.
import { readdirSync, readFileSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { seedRuns, startServer } from './server.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (v) => `${Math.round(v)} ms`;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

function bundle(root) {
  const dir = join(root, 'dist/console/assets');
  return readdirSync(dir)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => {
      const bytes = readFileSync(join(dir, f));
      return [f, bytes.length, gzipSync(bytes).length];
    });
}

function bigWorkflow() {
  const lines = ['name: big', 'concurrency: 8', 'tasks:'];
  let seed = 7;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let layer = 0; layer < 10; layer++) {
    for (let i = 0; i < 100; i++) {
      lines.push(`  - id: t${layer}_${i}`, '    command: "true"');
      if (layer > 0) {
        const a = rand(100);
        const b = (a + 1 + rand(99)) % 100;
        lines.push(`    dependsOn: [t${layer - 1}_${a}, t${layer - 1}_${b}]`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export async function benchConsole({ root, cli, work, log, table }) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
  const { chromium } = await import('playwright-core');
  const files = bundle(root);
  const blocks = [
    '### The console',
    table(['bundle file', '>bytes', '>gzipped'], [...files.map(([f, b, g]) => [f, kb(b), kb(g)]), ['total', kb(files.reduce((n, f) => n + f[1], 0)), kb(files.reduce((n, f) => n + f[2], 0))]]),
  ];

  const dir = join(work, 'console');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'flows'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'flows', 'w0.yaml'), 'name: w0\ntasks:\n  - id: a\n    command: "true"\n');
  writeFileSync(join(dir, 'flows', 'big.yaml'), bigWorkflow());
  log('  100,000 runs');
  await seedRuns(root, join(dir, 'home'), log);
  const s = await startServer(cli, join(dir, 'flows'), join(dir, 'home'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.addInitScript(`localStorage.setItem('baton.token', ${JSON.stringify(s.token)})`);

    log('  runs page');
    const paint = [];
    const rows = [];
    for (let i = 0; i < 10; i++) {
      const page = await context.newPage();
      await page.goto(`${s.base}/`);
      await page.locator('table.runs tbody tr').nth(49).waitFor({ timeout: 30_000 });
      rows.push(await page.evaluate(() => performance.now()));
      paint.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
      await page.close();
    }
    log(`    first paint p50 ${ms(pct(paint, 50))}, 50 runs drawn p50 ${ms(pct(rows, 50))}`);

    log('  1,000-task graph');
    const drawn = [];
    const layoutDraw = [];
    const layoutOnly = [];
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage();
      await page.goto(`${s.base}/workflows/big`);
      await page.waitForFunction(() => document.querySelectorAll('.node').length === 1000, undefined, { timeout: 60_000, polling: 'raf' });
      const [now, fetched, dagre] = await page.evaluate(() => [
        performance.now(),
        performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/workflows/big'))?.responseEnd ?? NaN,
        performance.getEntriesByName('baton:layout').at(-1)?.duration ?? NaN,
      ]);
      drawn.push(now);
      layoutDraw.push(now - fetched);
      layoutOnly.push(dagre);
      await page.close();
    }
    log(`    page with the graph drawn p50 ${ms(pct(drawn, 50))}; from its definition received to drawn p50 ${ms(pct(layoutDraw, 50))}`);

    log('  a running 1,000-task graph, live');
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__gaps = [];
      let last = performance.now();
      const tick = (t) => {
        window.__gaps.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const res = await fetch(`${s.base}/api/workflows/big/runs`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: '{}' });
    const { runId } = await res.json();
    const t0 = Date.now();
    await page.goto(`${s.base}/runs/${runId}`);
    await page.locator('.node').nth(999).waitFor({ timeout: 60_000 });
    await page.evaluate(() => (window.__gaps = []));
    await page.locator('.run-header .status-succeeded').waitFor({ timeout: 120_000 });
    const gaps = await page.evaluate(() => window.__gaps);
    const runSeconds = (Date.now() - t0) / 1000;
    log(`    ${gaps.length} frames over ${runSeconds.toFixed(1)} s; p99 gap ${ms(pct(gaps, 99))}`);

    blocks.push(
      table(
        ['>measure', '>p50', '>p99 / worst', '>target'],
        [
          ['runs page, 100,000 runs: first contentful paint (10 loads)', ms(pct(paint, 50)), ms(Math.max(...paint)), '< 1 s'],
          ['runs page: 50 runs drawn', ms(pct(rows, 50)), ms(Math.max(...rows)), '< 1 s'],
          ['1,000-task graph: definition received to laid out and drawn (3 loads)', ms(pct(layoutDraw, 50)), ms(Math.max(...layoutDraw)), '< 1 s'],
          ['  of which the dagre layout', ms(pct(layoutOnly, 50)), ms(Math.max(...layoutOnly)), ''],
          ['1,000-task graph: whole page, from navigation', ms(pct(drawn, 50)), ms(Math.max(...drawn)), ''],
          [`live 1,000-task run (${runSeconds.toFixed(1)} s): gap between frames`, ms(pct(gaps, 50)), `${ms(pct(gaps, 99))} / ${ms(Math.max(...gaps))}`, ''],
        ],
      ),
      `live: ${gaps.filter((g) => g > 100).length} of ${gaps.length} frames came more than 100 ms after the one before`,
    );
    await context.close();
  } finally {
    await browser.close();
    await s.stop();
  }
  return blocks;
}
