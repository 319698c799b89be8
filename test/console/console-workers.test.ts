/**
 * The console's Workers page in a real Chromium against a real server (the
 * embedded store, so the one worker is the server's own): a run started
 * while the page is open brings the step the worker takes to it over the
 * event stream, with its slots in use; the step links to its run; the
 * heartbeat's age ticks every second. A worker registered with a hostile
 * host name and no heartbeat is shown lost, as text, and nothing runs.
 * Seen by a viewer, on a desktop and on a phone.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerList } from '../../src/core/workers.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { eventually, guard, HAVE_CHROMIUM, launch, shot, startServer, type Guard, type Server } from './harness.js';

const HOSTILE = '<img src=x onerror=alert(9)>';

/** No dialog, no error, no CSP violation on the page. */
async function clean(watch: Guard): Promise<void> {
  expect(watch.dialogs).toEqual([]);
  expect(watch.errors).toEqual([]);
  expect(await watch.violations()).toEqual([]);
}

describe.skipIf(!HAVE_CHROMIUM)('console: workers', () => {
  let server: Server;
  let browser: Browser;
  let viewer: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
    viewer = (await server.api<{ token: string }>('POST', '/api/tokens', { role: 'viewer', name: 'a viewer' })).json.token;
    // A worker that registered and was never heard of again, its host name an attack.
    const store = new SqliteStore({ path: join(server.box.dir, '.baton', 'baton.db'), durability: 'normal' });
    await store.migrate();
    await store.registerWorker({ id: 'intruder:4242', host: HOSTILE, pid: 4242, capacity: 3, leaseMs: 1000 });
    await store.close();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('shows the step a worker takes as the run starts, links it to the run, ticks the heartbeat; a hostile lost worker is text', async () => {
    const listed = await eventually(
      async () => (await server.api<WorkerList>('GET', '/api/workers', undefined, viewer)).json,
      (l) => l.workers.some((w) => w.pid === 4242 && w.state === 'lost'),
    );
    const own = listed.workers.find((w) => w.pid !== 4242);
    expect(own).toMatchObject({ state: 'live', capacity: 4, held: [] });
    const name = `Worker ${own?.host} pid ${own?.pid}`;

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const watch = await guard(page);
    await page.goto(`${server.base}/?token=${viewer}`);
    await page.getByRole('link', { name: 'Workers' }).click();
    await page.getByRole('heading', { name: 'Workers' }).waitFor();
    const card = page.getByRole('article', { name });
    await card.locator('p', { hasText: 'None.' }).waitFor();
    const loaded = Date.now();
    // A run starts: the stream's step:started brings its step to the page, well before the 5 s reload would.
    const runId = (await server.api<{ runId: string }>('POST', '/api/workflows/slow/runs', { input: {} })).json.runId;
    await card.locator('.held li').waitFor({ timeout: Math.max(1, loaded + 4000 - Date.now()) });
    expect(await page.locator('article.worker').count()).toBe(2);
    // Live ones first.
    expect(await page.locator('article.worker').first().getAttribute('aria-label')).toBe(name);
    expect(await card.locator('.status').textContent()).toBe('live');
    expect(await card.locator('dd', { hasText: 'in use' }).textContent()).toMatch(/^\s*1 of 4 in use$/);
    expect(await card.locator('.held li').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^nap of slow run ${runId} attempt 1, for \\d+ s$`)) as string]);
    expect(await page.locator('.hint').textContent()).toBe('1 live, 1 lost, 0 stopped; 1 of 4 live slots in use.');

    // The heartbeat's age ticks every second, between loads (every 5 s at most, when no step changes).
    const ages = new Set<string>();
    for (let i = 0; i < 16; i++) {
      ages.add((await card.locator('.heartbeat').textContent()) ?? '');
      await page.waitForTimeout(200);
    }
    for (const a of ages) expect(a).toMatch(/^seen \d+ s ago$/);
    expect(ages.size).toBeGreaterThanOrEqual(3);

    // The hostile one: lost, its name shown as it is, and nothing ran.
    const intruder = page.getByRole('article', { name: `Worker ${HOSTILE} pid 4242` });
    expect(await intruder.locator('h2 .mono').textContent()).toBe(HOSTILE);
    expect(await intruder.locator('.status').textContent()).toBe('lost');
    expect(await intruder.locator('.heartbeat').textContent()).toMatch(/^seen \d+ s ago \(its lease of 1\.0 s has lapsed: its steps go back to ready\)$/);
    expect(await page.evaluate(`document.querySelectorAll('#root img, #root script, #root iframe').length`)).toBe(0);
    await shot(page, 'workers-held-light');
    await clean(watch);
    await context.close();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const small = await phone.newPage();
    const watchSmall = await guard(small);
    await small.goto(`${server.base}/workers?token=${viewer}`);
    await small.getByRole('article', { name }).locator('.held li').waitFor();
    // Nothing is wider than the phone's screen.
    expect(await small.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(small, 'workers-held-dark-phone');

    // The step's link goes to its run's page.
    await small.getByRole('link', { name: `nap of slow run ${runId}` }).click();
    await small.waitForURL(`${server.base}/runs/${runId}`);
    await small.locator('.run-header .status-running').waitFor();
    await clean(watchSmall);
    await phone.close();
    await server.api('POST', `/api/runs/${runId}/cancel`);
  });
});
