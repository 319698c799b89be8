/**
 * The console's safety and reach, in a real Chromium against a real server:
 * hostile data (step names, inputs, log lines, results holding HTML and
 * script) is shown as text and never runs, under a CSP without
 * 'unsafe-inline' (the guards are first shown to catch planted faults); a
 * viewer sees every page and no action; the main pages pass axe-core with no
 * serious or critical violation, on a desktop and a phone, light and dark.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axe, eventually, guard, HAVE_CHROMIUM, launch, shot, startServer, type Server } from './harness.js';

type RunJson = { run: { id: string; status: string } };

describe.skipIf(!HAVE_CHROMIUM)('console: safety, roles and accessibility', () => {
  let server: Server;
  let browser: Browser;
  let viewer: string;
  let hello: string;
  let waiting: string;
  let failed: string;

  const start = async (workflow: string, input: unknown = {}) => (await server.api<{ runId: string }>('POST', `/api/workflows/${workflow}/runs`, { input })).json.runId;
  const status = async (id: string) => (await server.api<RunJson>('GET', `/api/runs/${id}`)).json.run.status;
  const signedIn = async (token: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
    const page = await context.newPage();
    await page.goto(`${server.base}/?token=${token}`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    return { context, page };
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
    viewer = (await server.api<{ token: string }>('POST', '/api/tokens', { role: 'viewer', name: 'a viewer' })).json.token;
    [hello, waiting, failed] = await Promise.all([start('hello'), start('approval'), start('once')]);
    for (const [id, want] of [
      [hello, 'succeeded'],
      [waiting, 'waiting'],
      [failed, 'failed'],
    ] as const) {
      await eventually(() => status(id), (s) => s === want, 15_000);
    }
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('shows hostile step names, inputs, log lines and results as text; nothing runs and the CSP is never violated', async () => {
    const runId = await start('hostile', { note: '<img src=x onerror=alert(5)>' });
    await eventually(() => status(runId), (s) => s === 'succeeded');
    const { context, page } = await signedIn(server.admin);
    const watch = await guard(page);
    await page.goto(`${server.base}/runs/${runId}`);
    await page.locator('.code-steps').waitFor();
    expect(await page.locator('.code-steps button').allTextContents()).toEqual(['<script>alert`1`</script>', '<img src=x onerror=alert`3`>']);
    expect(await page.locator('.run-header').textContent()).toContain('"result": "<svg onload=alert(4)>"');
    expect(await page.locator('.run-header').textContent()).toContain('"note": "<img src=x onerror=alert(5)>"');
    await page.getByRole('tab', { name: 'Logs' }).click();
    const lines = await eventually(() => page.locator('.log-text').allTextContents(), (v) => v.length === 2);
    expect(lines).toEqual(['<img src=x onerror=alert(1)>', '<script>alert("log")</script> <img src=x onerror=alert(5)>']);
    expect(await page.locator('.log-text .ansi-fg-1').textContent()).toBe('<script>alert("log")</script>');
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByRole('tab', { name: 'History' }).click();
    await page.goto(`${server.base}/?q=${encodeURIComponent('onerror=alert(5)')}`);
    expect(await eventually(() => page.locator('table.runs tbody td:first-child').allTextContents(), (v) => v.length === 1)).toEqual([runId]);
    await page.goto(`${server.base}/workflows/nightly`);
    expect(await eventually(() => page.locator('main li').allTextContents(), (v) => v.length === 2)).toEqual([
      expect.stringMatching(/^Schedule report: cron "30 2 \* \* \*" Europe\/Berlin; catch-up none, overlap skip\. Next: /) as string,
      'Quiet hours Sun 03:00–04:00 (Europe/Berlin): work due then is held until the window ends',
    ]);
    await page.goto(`${server.base}/workflows/hostile`);
    expect(await page.locator('pre.source').textContent()).toContain("ctx.step('<script>alert`1`</script>'");
    await shot(page, 'hostile-workflow');
    expect(await page.evaluate(`document.querySelectorAll('#root img, #root script, #root iframe').length`)).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);

    // The guards catch what they guard against: a planted inline script and
    // inline handler are refused by the CSP (and reported), a planted alert is seen.
    await page.evaluate(`(() => {
      const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s);
      const d = document.createElement('div'); d.innerHTML = '<img src="/missing.png" onerror="window.__ran = 2">'; document.body.append(d);
    })()`);
    const violations = await eventually(() => watch.violations(), (v) => v.length >= 2);
    expect(violations.join('\n')).toMatch(/script-src-elem inline/);
    expect(violations.join('\n')).toMatch(/script-src-attr inline/);
    expect(await page.evaluate('window.__ran')).toBeUndefined();
    await page.evaluate('setTimeout(() => alert("planted"))');
    await eventually(async () => watch.dialogs, (d) => d.length === 1);
    await context.close();
  });

  it('a viewer sees every page and no action; the server refuses one anyway; a token revoked meanwhile signs out', async () => {
    const { context, page } = await signedIn(viewer);
    const watch = await guard(page);
    expect(await page.locator('.who').textContent()).toContain('(viewer)');
    await page.goto(`${server.base}/runs/${failed}`);
    await page.locator('.node.status-failed').waitFor();
    await page.goto(`${server.base}/runs/${waiting}`);
    await page.locator('.run-header .status-waiting').waitFor();
    await page.goto(`${server.base}/approvals`);
    await page.getByRole('article', { name: `Run ${waiting} waits for approve` }).waitFor();
    await page.goto(`${server.base}/workflows/hello`);
    await page.getByRole('heading', { name: 'Graph' }).waitFor();
    await page.goto(`${server.base}/schedules`);
    await page.getByRole('article', { name: 'Schedule report of nightly' }).waitFor();
    // The week ahead on a calendar: a fire every night (02:30 Berlin), quiet hours on the Sunday only (03:00-04:00 Berlin).
    const days = await page.locator('.week-day .sr-only').allTextContents();
    expect(days.length).toBeGreaterThanOrEqual(7);
    expect(days.filter((d) => /: quiet .+ to .+ \(work held\); /.test(d))).toEqual([expect.stringMatching(/^Sun/) as string]);
    expect(days.filter((d) => /fires at .+\.$/.test(d)).length).toBeGreaterThanOrEqual(6);
    expect(await page.locator('.week-quiet').count()).toBeGreaterThanOrEqual(2); // the Sunday's block and the legend's swatch
    for (const [path, ready] of [
      [`/runs/${failed}`, '.node.status-failed'],
      [`/runs/${waiting}`, '.code-steps'],
      ['/approvals', '.card'],
      ['/workflows/hello', 'pre.source'],
      ['/schedules', '.card'],
      ['/workers', 'article.worker'],
    ] as const) {
      await page.goto(server.base + path);
      await page.locator(ready).first().waitFor();
      const buttons = await page.locator('main button').allTextContents();
      expect(buttons.filter((b) => /Cancel|Retry|Re-run|Approve|Reject|Run now|Pause|Resume|Fire now/.test(b)), path).toEqual([]);
    }
    const refused = await page.evaluate(`fetch('/api/runs/${failed}/retry', { method: 'POST', headers: { authorization: 'Bearer ' + localStorage.getItem('baton.token') } }).then((r) => r.status)`);
    expect(refused).toBe(403);
    expect(watch.errors.filter((e) => !e.includes('403'))).toEqual([]);

    // Revoked while signed in: the next request is refused, and the console asks for another token.
    const id = (/^baton_([0-9a-f]+)_/.exec(viewer) as RegExpExecArray)[1] as string;
    expect((await server.api('DELETE', `/api/tokens/${id}`)).status).toBe(200);
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/no longer accepts this token/);
    await page.getByLabel('Token').waitFor();
    expect(await page.evaluate('localStorage.getItem("baton.token")')).toBeNull();
    await context.close();
  });

  it('charts the server metrics and tabulates durations and failure rates per workflow', async () => {
    const { context, page } = await signedIn(server.admin);
    const watch = await guard(page);
    await page.goto(`${server.base}/stats`);
    // Drawn once there are two readings (rates need two).
    await page.locator('.chart div:not(.hidden) canvas').first().waitFor();
    expect(await page.locator('.chart figcaption').allTextContents()).toEqual(['Runs finished per minute', 'Step attempts finished per minute', 'Queue depth']);
    const row = async (workflow: string) => (await page.locator('tr', { has: page.getByRole('link', { name: workflow, exact: true }) }).locator('td').allTextContents()).slice(0, 4);
    // once failed its one run here; hello succeeded (in the store and finished here).
    expect(await eventually(() => row('once'), (r) => r.length === 4)).toEqual(['once', '1', '1', '100%']);
    expect(await row('hello')).toEqual(['hello', '1', '1', '0%']);
    expect(await page.locator('h2', { hasText: 'Step attempts' }).count()).toBe(1);
    expect(watch.errors).toEqual([]);
    expect(await watch.violations()).toEqual([]);
    await context.close();
  });

  it('the main pages pass axe-core with no serious or critical violation, on a desktop and a phone, light and dark', async () => {
    // Each page, and what shows it has loaded.
    const pages: Array<[string, string, string, string?]> = [
      ['runs', '/', 'table.runs tbody tr'],
      ['run-graph', `/runs/${hello}`, '.node.status-succeeded'],
      ['run-timeline', `/runs/${hello}`, '.bar-attempt', 'Timeline'],
      ['run-logs', `/runs/${hello}`, '.log-line', 'Logs'],
      ['run-waiting', `/runs/${waiting}`, '.signal'],
      ['workflows', '/workflows', '.strip .cell'],
      ['workflow', '/workflows/hello', 'pre.source'],
      ['schedules', '/schedules', '.card'],
      ['approvals', '/approvals', '.card'],
      ['workers', '/workers', 'article.worker'],
      ['metrics', '/stats', '.chart div:not(.hidden) canvas'],
    ];
    const problems: string[] = [];
    for (const [scheme, viewport] of [
      ['light', { width: 1280, height: 860 }],
      ['dark', { width: 390, height: 844 }],
    ] as const) {
      const { context, page } = await signedIn(server.admin, { colorScheme: scheme, viewport });
      for (const [name, path, ready, tab] of pages) {
        await page.goto(server.base + path);
        await page.locator('main h1').waitFor();
        if (tab) await page.getByRole('tab', { name: tab }).click();
        await page.locator(ready).first().waitFor();
        for (const v of await axe(page)) if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${scheme} ${name}: ${v.id} (${v.impact}) ${v.help} x${v.nodes}`);
        await shot(page, `${name}-${scheme}${viewport.width < 500 ? '-phone' : ''}`);
      }
      await context.close();
    }
    const out = await browser.newContext();
    const signIn = await out.newPage();
    await signIn.goto(server.base);
    await signIn.getByLabel('Token').waitFor();
    for (const v of await axe(signIn)) if (v.impact === 'serious' || v.impact === 'critical') problems.push(`sign-in: ${v.id} ${v.help}`);
    await shot(signIn, 'sign-in');
    await out.close();
    expect(problems).toEqual([]);
  });
});
