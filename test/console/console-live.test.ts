/**
 * The console's live updates survive the server going away: the stream is
 * read again with backoff, and once the server is back the runs page moves
 * live again, with no reload and no new sign-in.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, guard, HAVE_CHROMIUM, launch, startServer, type Server } from './harness.js';

describe.skipIf(!HAVE_CHROMIUM)('console: live updates', () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('reconnects to the event stream by itself after the server restarts', async () => {
    const page = await browser.newPage();
    const watch = await guard(page);
    await page.goto(`${server.base}/?token=${server.admin}`);
    await page.locator('.live-live').waitFor();
    await server.kill();
    await page.locator('.live-reconnecting').waitFor();
    server = await startServer({ box: server.box, port: server.port, admin: server.admin });
    await page.locator('.live-live').waitFor({ timeout: 15_000 });
    const runId = (await server.api<{ runId: string }>('POST', '/api/workflows/hello/runs', { input: { who: 'after restart' } })).json.runId;
    await page.getByRole('link', { name: runId }).waitFor({ timeout: 10_000 });
    const cells = () => page.locator('table.runs tbody tr').first().locator('td').allTextContents();
    expect((await eventually(cells, (c) => c[2] === 'succeeded'))[0]).toBe(runId);
    // The stream broke off and reconnects were refused while the server was away; nothing else went wrong.
    expect(watch.errors.filter((e) => !/ERR_CONNECTION_(REFUSED|RESET)|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_EMPTY_RESPONSE/.test(e))).toEqual([]);
    expect(watch.dialogs).toEqual([]);
  });
});
