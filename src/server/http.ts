/**
 * @module server/http
 * What every route shares: errors as `{error: {code, message}}` with their
 * status, and request bodies and query parameters read with a clear 400.
 */
import type { Context } from 'hono';
import type { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function fail(status: 400 | 401 | 403 | 404 | 409, code: string, message: string): never {
  throw new HttpError(status, code, message);
}

/** The JSON body, checked against the route's schema: a problem is a 400 that says where (`input.x: ...`). */
export async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      fail(400, 'INVALID_JSON', `the request body is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    fail(400, 'INVALID_BODY', `${where}${first?.message ?? 'not valid'}`);
  }
  return parsed.data;
}

export function intParam(c: Context, name: string, max: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) fail(400, 'INVALID_QUERY', `?${name}= must be a whole number from 0 to ${max}, got "${raw}"`);
  return n;
}

/** A time in a query parameter: ISO 8601 or milliseconds since the epoch. */
export function timeParam(c: Context, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) fail(400, 'INVALID_QUERY', `?${name}= must be a time (ISO 8601, like 2026-12-01T08:00:00Z, or ms since the epoch), got "${raw}"`);
  return ms;
}
