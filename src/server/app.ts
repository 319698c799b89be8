/**
 * @module server/app
 * The HTTP API: JSON over HTTP, every route but /healthz and /readyz behind
 * a bearer token whose role must allow it. The routes are one table
 * (routes.ts), so a test can walk every one of them, and the OpenAPI file
 * is made from it.
 */
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { BatonError, type ErrorCode } from '../core/errors.js';
import type { QuietHoursDef } from '../core/quiet-hours.js';
import type { AlertDef, EventTriggerDef, ScheduleDef } from '../core/schedule.js';
import { roleAllows, type Role, type TokenRecord } from '../core/tokens.js';
import type { Engine } from '../engine/engine.js';
import { authenticate } from './auth.js';
import { consoleFiles } from './console-files.js';
import { fail, HttpError } from './http.js';
import { routes } from './routes.js';
import type { StoreFeed } from './store-feed.js';

export { routes };

export interface WorkflowEntry {
  name: string;
  kind: 'file' | 'code';
  /** Where it was loaded from, relative to the served folder. */
  file: string;
  source: string;
  inputs: Record<string, unknown>;
  tasks: Array<{ id: string; dependsOn: string[] }>;
  schedules: ScheduleDef[];
  events: EventTriggerDef[];
  alerts: AlertDef[];
  quietHours?: QuietHoursDef;
}

/** A schedule as the API shows it: its effective policies, state, next and last fires. */
export interface ScheduleView {
  workflow: string;
  id: string;
  when: string;
  timezone: string;
  catchUp: string;
  overlap: string;
  jitterMs: number;
  paused: boolean;
  next: string[];
  last: Array<{ dueAt: string; outcome: string; runId: string | null }>;
  /** The week ahead, for a calendar: its fires (at most WEEK_FIRES) and the workflow's quiet periods, as ISO instants. */
  week: { from: string; until: string; fires: string[]; more: boolean; quiet: Array<{ from: string; until: string }>; quietAction: 'defer' | 'skip' | null };
}

export interface ScheduleControl {
  list(): Promise<ScheduleView[]>;
  setPaused(workflow: string, schedule: string, paused: boolean): Promise<void>;
  trigger(workflow: string, schedule: string): Promise<{ outcome: string; runId: string | null }>;
}

export interface WorkflowCatalog {
  list(): WorkflowEntry[];
  get(name: string): WorkflowEntry | undefined;
}

export interface ServerDeps {
  engine: Engine;
  catalog: WorkflowCatalog;
  /** A new run of a catalog workflow for the workers; throws BatonError INVALID_INPUT / NOT_FOUND. */
  submit(workflow: string, input: unknown): Promise<string>;
  /** Work was added or changed: wake this server's worker now. */
  poke(): void;
  schedules: ScheduleControl;
  /** An event: the runs it started (workflows whose on.event matched). */
  publish(event: { type: string; data: unknown }): Promise<Array<{ workflow: string; runId: string }>>;
  metrics: { text(): Promise<{ body: string; contentType: string }> };
  /** On a shared store: run and step changes of every server and worker, for the SSE stream. */
  feed?: StoreFeed;
  /** False while starting or draining (/readyz answers 503). */
  ready(): boolean;
  version: string;
  /** The built web console (dist/console) served at /; without it / says the console is not built. */
  consoleDir?: string;
}

export type Handler = (c: Context, who: TokenRecord | undefined) => Response | Promise<Response>;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The least role that may call it; null: no token needed. */
  role: Role | null;
  /** One line for the OpenAPI file. */
  summary: string;
  /** The JSON body it takes. */
  body?: z.ZodType;
  /** Query parameters it reads, with what each means. */
  query?: Record<string, string>;
  handler: Handler;
}

const STATUS: Partial<Record<ErrorCode, 400 | 404 | 409>> = { INVALID_INPUT: 400, USAGE: 400, INVALID_WORKFLOW: 400, NOT_FOUND: 404, CONFLICT: 409 };

/** The app: every route of ROUTES behind its role; errors as `{error: {code, message}}`. */
export function createApp(deps: ServerDeps): { app: Hono; table: Route[] } {
  const app = new Hono();
  const table = routes(deps);
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    if (error instanceof BatonError) return c.json({ error: { code: error.code, message: error.message } }, STATUS[error.code] ?? 500);
    return c.json({ error: { code: 'INTERNAL', message: (error as Error).message } }, 500);
  });
  const notFound = (c: Context) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404);
  app.notFound(notFound);
  for (const route of table) {
    app.on(route.method, route.path, async (c) => {
      let who: TokenRecord | undefined;
      if (route.role !== null) {
        who = await authenticate(deps.engine.store, c.req.header('authorization'));
        if (!who) fail(401, 'UNAUTHORIZED', 'a valid token is needed: Authorization: Bearer <token> (baton token create)');
        if (!roleAllows(who.role, route.role)) fail(403, 'FORBIDDEN', `${route.method} ${route.path} needs the ${route.role} role; this token is ${who.role}`);
      }
      return route.handler(c, who);
    });
  }
  // The web console: any other GET outside /api (an unknown /api path stays a JSON 404).
  const files = consoleFiles(deps.consoleDir);
  app.get('*', (c) => (c.req.path === '/api' || c.req.path.startsWith('/api/') ? notFound(c) : files(c)));
  return { app, table };
}
