import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApi } from '../../src/server/openapi.js';
import { routes } from '../../src/server/routes.js';
import type { ServerDeps } from '../../src/server/app.js';

describe('the OpenAPI file', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const table = routes({ version } as ServerDeps);
  const doc = openApi(table, version) as { paths: Record<string, Record<string, { summary: string; 'x-baton-role': string | null; requestBody?: unknown; security: unknown[] }>> };

  it('is the one on disk (npm run schema writes it)', () => {
    const onDisk = readFileSync(new URL('../../schema/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(onDisk)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('describes every route of the table, with its role, security and body', () => {
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops).toHaveLength(table.length);
    for (const op of ops) expect(op.summary.length).toBeGreaterThan(5);
    expect(doc.paths['/api/workflows/{name}/runs']?.post?.['x-baton-role']).toBe('operator');
    expect(doc.paths['/api/workflows/{name}/runs']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
    expect(doc.paths['/api/tokens']?.post?.requestBody).toMatchObject({ content: { 'application/json': { schema: { properties: { role: { enum: ['viewer', 'operator', 'admin'] } } } } } });
  });
});
