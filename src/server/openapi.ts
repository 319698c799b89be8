/**
 * @module server/openapi
 * The OpenAPI 3.1 description of the API, made from the route table: each
 * route's summary, the role it needs (`x-baton-role`, and bearer security),
 * its path and query parameters, and its body's JSON Schema (from the zod
 * schema the route checks bodies with). `npm run schema` writes it to
 * schema/openapi.json; the server serves it at /api/openapi.json.
 */
import { z } from 'zod';
import type { Route } from './app.js';

export function openApi(table: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...[...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(route.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
    ];
    const op: Record<string, unknown> = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[/_-](\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      'x-baton-role': route.role,
      security: route.role === null ? [] : [{ bearer: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: false, content: { 'application/json': { schema: z.toJSONSchema(route.body) } } } } : {}),
      responses: {
        '200': { description: 'OK (201 for a new run or token, 202 for an event)' },
        ...(route.role === null ? {} : { '401': { $ref: '#/components/responses/Error' }, '403': { $ref: '#/components/responses/Error' } }),
        '400': { $ref: '#/components/responses/Error' },
        '404': { $ref: '#/components/responses/Error' },
      },
    };
    (paths[path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'baton server', version, description: 'Runs, workflows, schedules and events of a baton server. Every route but /healthz and /readyz needs Authorization: Bearer <token>.' },
    servers: [{ url: 'http://127.0.0.1:7700' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from the first start, or baton token create --role viewer|operator|admin' } },
      responses: {
        Error: {
          description: 'An error: what, and where',
          content: {
            'application/json': {
              schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } }, required: ['error'] },
            },
          },
        },
      },
    },
  };
}
