/**
 * What the console's browser tests share: a real `baton server` (the built
 * CLI, embedded SQLite in a temporary home) over test/fixtures/console, a
 * real Chromium (Debian's, driven by playwright-core), and guards that record
 * every dialog, console error, page error and CSP violation of a page.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Sandbox, until } from '../helpers/cli.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
// CI installs Chromium: there, a missing browser fails the suite instead of skipping the console's tests.
if (!HAVE_CHROMIUM && process.env.BATON_REQUIRE_CHROMIUM) throw new Error(`${CHROMIUM} is missing and BATON_REQUIRE_CHROMIUM is set: install Debian's chromium package`);
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');
const FOLDER = resolve(import.meta.dirname, '../fixtures/console');

export interface Server {
  base: string;
  port: number;
  admin: string;
  box: Sandbox;
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: T }>;
  /** Kill the server process (its state stays in the box). */
  kill(): Promise<void>;
  stop(): void;
}

/** A server over test/fixtures/console; or, given an earlier one's box, port and token, that server started again. */
export async function startServer(again?: { box: Sandbox; port: number; admin: string }): Promise<Server> {
  const box = again?.box ?? new Sandbox();
  const server = box.start(['server', FOLDER, '--port', String(again?.port ?? 0), '--concurrency', '4'], { EFFECTS_DIR: box.dir });
  await until(() => (again ? /listening on/ : /^Open http/m).test(server.output()), 20_000);
  const base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
  const admin = again?.admin ?? ((/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string);
  return {
    base,
    port: Number(new URL(base).port),
    admin,
    box,
    async api(method, path, body, token = admin) {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json()) as never };
    },
    async kill() {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await server.done;
    },
    stop() {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      box.remove();
    },
  };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Guard {
  dialogs: string[];
  errors: string[];
  /** CSP violations the page reported (securitypolicyviolation events). */
  violations(): Promise<string[]>;
}

/** Record what must never happen on a page: a dialog (alert), a console or page error, a CSP violation. */
export async function guard(page: Page): Promise<Guard> {
  const g = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    g.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') g.errors.push(m.text());
  });
  page.on('pageerror', (e) => g.errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) g.errors.push(`${r.status()} ${r.url()}`);
  });
  await page.addInitScript(`window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`);
  return { ...g, violations: () => page.evaluate('window.__csp') as Promise<string[]> };
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** axe-core run in the page (injected over the DevTools protocol, which the page's CSP does not govern). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  return (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`)) as AxeViolation[];
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Polls `read` (every 50 ms, up to 10 s) until `ok` holds of its value; returns that value. */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met in time; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
