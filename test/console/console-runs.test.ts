/**
 * The console in a real Chromium against a real `baton server`: sign in with
 * the printed link, start a run from its form and watch it live in the graph,
 * the timeline and the logs, approve and reject waiting runs, cancel one,
 * retry a failed one from the failed step, filter and page the runs list.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWith, until } from '../helpers/cli.js';
import { eventually, guard, HAVE_CHROMIUM, launch, shot, startServer, type Guard, type Server } from './harness.js';

if (!HAVE_CHROMIUM) console.warn('console tests skipped: /usr/bin/chromium is missing (apt-get install -y chromium)');

type RunJson = { run: { id: string; status: string }; attempts: Array<{ stepId: string; status: string }>; result: string | null };

describe.skipIf(!HAVE_CHROMIUM)('console: runs', () => {
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: Guard;

  const runEnds = async (id: string): Promise<RunJson> => {
    let last: RunJson | undefined;
    const end = Date.now() + 20_000;
    for (;;) {
      last = (await server.api<RunJson>('GET', `/api/runs/${id}`)).json;
      if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(last.run.status)) return last;
      if (Date.now() > end) throw new Error(`run ${id} is still ${last.run.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const start = async (workflow: string, input: unknown = {}) => (await server.api<{ runId: string }>('POST', `/api/workflows/${workflow}/runs`, { input })).json.runId;
  const ids = () => page.locator('table.runs tbody tr td:first-child').allTextContents();
  const statusBadge = (p: Page) => p.locator('.run-header h1 .status');
  const open = async (path: string) => {
    await page.goto(server.base + path);
    await page.locator('h1').first().waitFor();
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    watch = await guard(page);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('signs in with the link the server prints, and takes the token out of the address bar', async () => {
    await page.goto(`${server.base}/?token=${server.admin}`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(page.url()).toBe(`${server.base}/`);
    expect(await page.evaluate('localStorage.getItem("baton.token")')).toBe(server.admin);
    expect(await page.locator('.who').textContent()).toContain('(admin)');
    await page.locator('.live-live').waitFor();

    // A token the server did not issue: a clear message, then the form signs in.
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(`${server.base}/runs?token=baton_000000000000_${'A'.repeat(43)}`);
    expect(await p.getByRole('alert').textContent()).toMatch(/This token was refused/);
    await p.getByLabel('Token').fill(server.admin);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Runs' }).waitFor();
    await other.close();
  });

  it('starts a run from its form and watches it live in the graph, the timeline and the logs', async () => {
    await open('/workflows');
    await page.getByRole('link', { name: 'hello', exact: true }).click();
    await page.getByRole('heading', { name: 'hello' }).waitFor();
    await page.locator('#input-who').fill('<script>alert(1)</script>');
    await page.locator('#input-tone').selectOption('cool');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('/').at(-1) as string);
    // Live: build (1.2 s) is seen running, then every box turns succeeded without a reload.
    await page.locator('.node.status-running').first().waitFor({ timeout: 10_000 });
    await page.locator('.node.status-succeeded').nth(3).waitFor({ timeout: 15_000 });
    // The run's own end arrives after its last step's (the run settles once that step is recorded).
    await page.locator('.run-header h1 .status', { hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    expect(await statusBadge(page).textContent()).toBe('succeeded');
    expect(await page.locator('.node').count()).toBe(4);
    expect(await page.locator('.edge').getAttribute('data-edges')).toBe('4');
    expect(((await page.locator('.edge').getAttribute('d')) ?? '').split('M').length - 1).toBe(4);
    expect(await page.locator('pre.json').first().textContent()).toContain('"who": "<script>alert(1)</script>"');
    await shot(page, 'run-graph');

    await page.getByRole('tab', { name: 'Timeline' }).click();
    expect(await page.locator('.bar-attempt.status-succeeded').count()).toBe(4);
    // The critical path: greet -> build (the slower branch) -> ship.
    expect(await page.locator('.row.critical .row-label').allTextContents()).toEqual(['greet', 'build', 'ship']);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect(Number(await page.locator('.timeline svg').getAttribute('width'))).toBeGreaterThan(1000);
    await shot(page, 'run-timeline');
    // By keyboard: Tab goes from the chart's box to its first row, a button named by its attempts; Enter opens that step's logs.
    await page.locator('.timeline .graph-scroll').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toMatch(/^greet attempt 1: succeeded, .+ \(critical path\)$/);
    await page.getByRole('button', { name: /^build attempt 1: succeeded/ }).press('Enter');
    expect(await page.getByRole('tab', { name: 'Logs' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByLabel('Step').inputValue()).toBe('build');

    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('button', { name: /^greet succeeded/ }).press('Enter');
    expect(await page.getByRole('tab', { name: 'Logs' }).getAttribute('aria-selected')).toBe('true');
    await page.locator('.log-line').first().waitFor();
    expect(await page.locator('.log-text').allTextContents()).toEqual(['hello <script>alert(1)</script>']);
    expect(await page.locator('.log-text .ansi-fg-2').textContent()).toBe('hello');
    await page.getByLabel('Step').selectOption('');
    await page.locator('.log-line').nth(3).waitFor();
    await page.getByLabel('Search').fill('shipp');
    expect(await page.locator('.log-text').allTextContents()).toEqual(['shipped']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(readFileSync(await download.path(), 'utf8')).toMatch(/ship#1 stdout shipped\n$/);
    await page.getByLabel('Search').fill('');
    await shot(page, 'run-logs');

    await page.getByRole('tab', { name: 'History' }).click();
    expect(await page.locator('table.events').textContent()).toContain('run:succeeded');
    expect((await runEnds(runId)).run.status).toBe('succeeded');
  });

  it('approves a waiting run from the inbox, and rejects one from its page', async () => {
    const approve = await start('approval');
    const reject = await start('approval');
    await open('/approvals');
    const card = page.getByRole('article', { name: `Run ${approve} waits for approve` });
    await card.waitFor({ timeout: 10_000 });
    await shot(page, 'approvals');
    await card.getByLabel('Payload (JSON) sent with Approve').fill('{"by": "ada"}');
    await card.getByRole('button', { name: 'Approve' }).click();
    const approved = await runEnds(approve);
    expect(approved.run.status).toBe('succeeded');
    expect(JSON.parse(approved.result as string)).toEqual({ approvedBy: 'ada' });
    await card.waitFor({ state: 'detached' });

    await open(`/runs/${reject}`);
    await page.getByRole('button', { name: 'Reject' }).click();
    expect((await runEnds(reject)).run.status).toBe('failed');
    await page.locator('.run-header .status-failed').waitFor();
    expect(await page.locator('.run-header .error').textContent()).toContain('rejected');
  });

  it('cancels a running run: its process is stopped', async () => {
    const runId = await start('slow');
    await open(`/runs/${runId}`);
    await page.locator('.node.status-running').waitFor({ timeout: 10_000 });
    await until(() => processesWith('sleep 28.9').length > 0, 10_000);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('.run-header .status-cancelled').waitFor();
    await until(() => processesWith('sleep 28.9').length === 0, 10_000);
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
  });

  it('retries a failed run from the failed step, keeping what succeeded', async () => {
    const runId = await start('once');
    expect((await runEnds(runId)).run.status).toBe('failed');
    await open(`/runs/${runId}`);
    expect(await page.locator('.node.status-failed').getAttribute('aria-label')).toMatch(/^flaky failed/);
    expect(await page.locator('.node.status-skipped').getAttribute('aria-label')).toMatch(/^after skipped, an upstream/);
    await shot(page, 'run-failed');
    await page.getByRole('button', { name: 'Retry from failed' }).click();
    await page.locator('.run-header .status-succeeded').waitFor({ timeout: 15_000 });
    const done = await runEnds(runId);
    expect(done.attempts.map((a) => `${a.stepId}:${a.status}`).sort()).toEqual(['after:succeeded', 'first:succeeded', 'flaky:failed', 'flaky:succeeded']);
    expect(await page.getByRole('button', { name: /^flaky succeeded, 2 attempts/ }).count()).toBe(1);
    await page.getByRole('tab', { name: 'Timeline' }).click();
    expect(await page.locator('.row-label').allTextContents()).toEqual(['first', 'flaky #1', 'flaky #2', 'after']);
    // The workflow's page sums its runs up by step, from the store: flaky failed once and was retried once.
    await open('/workflows/once');
    const rows = page.getByRole('region', { name: 'Steps of once' }).locator('tbody tr');
    await rows.first().waitFor();
    const cells = async (step: string) => (await rows.filter({ has: page.getByRole('rowheader', { name: step, exact: true }) }).locator('td').allTextContents()).slice(0, 3);
    expect(await cells('flaky')).toEqual(['2', '1', '1']);
    expect(await cells('first')).toEqual(['1', '0', '0']);
    expect(await page.getByText(/^The latest 1 runs \(1 ended\): 0% failed or timed out; duration p50/).count()).toBe(1);
  });

  it('lists runs live, filters them, searches by run id and input text, and pages through them', async () => {
    await open('/');
    const first = await start('hello', { who: 'page-one' });
    // Live: the new run appears without a reload.
    await page.getByRole('link', { name: first }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Workflow').selectOption('approval');
    await page.waitForURL(/workflow=approval/);
    const workflows = () => page.locator('table.runs tbody td:nth-child(2)').allTextContents();
    expect(new Set(await eventually(workflows, (v) => v.length === 2 && !v.includes('hello')))).toEqual(new Set(['approval']));
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await eventually(ids, (v) => v.length === 1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Search').fill('<script>');
    await page.getByRole('button', { name: 'Search' }).click();
    await eventually(ids, (v) => v.length === 1);
    expect(await page.locator('table.runs tbody td:nth-child(7)').textContent()).toContain('<script>alert(1)</script>');
    await page.getByLabel('Search').fill(first);
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await eventually(ids, (v) => v.length === 1 && v[0] === first)).toEqual([first]);
    await page.getByRole('button', { name: 'Clear' }).click();

    // More than a page: Older and Newer walk the keyset pages.
    await Promise.all(Array.from({ length: 50 }, () => start('nightly')));
    await page.reload();
    const firstPage = await eventually(ids, (v) => v.length === 50);
    await page.getByRole('button', { name: 'Older →' }).click();
    const second = await eventually(ids, (v) => v[0] !== firstPage[0]);
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((id) => firstPage.includes(id))).toEqual([]);
    await page.getByRole('button', { name: '← Newer' }).click();
    expect(await eventually(ids, (v) => v[0] === firstPage[0])).toEqual(firstPage);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);
  });
});
