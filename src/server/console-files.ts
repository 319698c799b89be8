/**
 * @module server/console-files
 * The web console's built files (dist/console, made by Vite) served as they
 * are: hashed assets cached for good, index.html never cached, and for any
 * other page path (the console routes in the browser) index.html again.
 * Every response carries a Content-Security-Policy that allows only this
 * origin's scripts and styles (no 'unsafe-inline', no eval): data shown by
 * the console can never run as code.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Context } from 'hono';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const SECURITY = { 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

/** A handler for GET requests outside /api: a file of DIR, or index.html for page paths, or a 404. */
export function consoleFiles(dir: string | undefined) {
  const root = dir === undefined ? undefined : resolve(dir);
  return async (c: Context): Promise<Response> => {
    if (root === undefined) return c.html(NOT_BUILT, 200, SECURITY);
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return c.text('not found', 404, SECURITY);
    }
    const file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return c.text('not found', 404, SECURITY);
    const found = await stat(file).then((s) => s.isFile(), () => false);
    if (found) {
      const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return c.body(await readFile(file), 200, { ...SECURITY, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache });
    }
    // A path with a file extension is a missing file; any other is a page of the console.
    if (extname(path) !== '') return c.text('not found', 404, SECURITY);
    const index = await readFile(join(root, 'index.html')).catch(() => undefined);
    if (!index) return c.html(NOT_BUILT, 200, SECURITY);
    return c.body(index, 200, { ...SECURITY, 'content-type': TYPES['.html'] as string, 'cache-control': 'no-cache' });
  };
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>baton server</title></head>
<body>
<h1>baton server</h1>
<p>The web console is not built (run <code>npm run build</code>). This server answers the baton API:
its description is <a href="/api/openapi.json">/api/openapi.json</a>
(every route but /healthz and /readyz needs <code>Authorization: Bearer &lt;token&gt;</code>).</p>
</body></html>
`;
