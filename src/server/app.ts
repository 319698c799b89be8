/**
 * @module server/app
 * The HTTP API: JSON over HTTP, every route but /healthz and /readyz behind
 * a bearer token whose role must allow it. The routes are one table
 * (ROUTES), so a test can walk every one of them.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { BatonError, type ErrorCode } from '../core/errors.js';
import type { EngineEventMap } from '../core/events.js';
import type { EventTriggerDef, ScheduleDef } from '../core/schedule.js';
import { isFinalRun, type RunStatus } from '../core/states.js';
import { isRole, roleAllows, type Role, type TokenRecord } from '../core/tokens.js';
import type { Engine } from '../engine/engine.js';
import { authenticate, newToken } from './auth.js';

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
  /** False while starting or draining (/readyz answers 503). */
  ready(): boolean;
  version: string;
}

type Handler = (c: Context, who: TokenRecord | undefined) => Response | Promise<Response>;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The least role that may call it; null: no token needed. */
  role: Role | null;
  handler: Handler;
}

const STATUS: Partial<Record<ErrorCode, 400 | 404 | 409>> = { INVALID_INPUT: 400, USAGE: 400, INVALID_WORKFLOW: 400, NOT_FOUND: 404, CONFLICT: 409 };

function fail(status: 400 | 401 | 403 | 404 | 409, code: string, message: string): never {
  throw new HttpError(status, code, message);
}

class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function body(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(400, 'INVALID_JSON', `the request body is not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(400, 'INVALID_BODY', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function intParam(c: Context, name: string, max: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) fail(400, 'INVALID_QUERY', `?${name}= must be a whole number from 0 to ${max}, got "${raw}"`);
  return n;
}

export function routes(deps: ServerDeps): Route[] {
  // Read when a request comes: the table itself needs no engine (a test walks it).
  const store = new Proxy({} as ServerDeps['engine']['store'], { get: (_, key) => Reflect.get(deps.engine.store, key, deps.engine.store) as unknown });
  const runOf = async (c: Context) => {
    const run = await store.getRun(c.req.param('id') as string);
    if (!run) fail(404, 'NOT_FOUND', `no run "${c.req.param('id')}"`);
    return run;
  };
  return [
    { method: 'GET', path: '/healthz', role: null, handler: (c) => c.json({ ok: true }) },
    { method: 'GET', path: '/readyz', role: null, handler: (c) => (deps.ready() ? c.json({ ready: true }) : c.json({ ready: false }, 503)) },
    {
      method: 'GET',
      path: '/metrics',
      role: 'viewer',
      handler: async (c) => {
        const { body: text, contentType } = await deps.metrics.text();
        return c.body(text, 200, { 'content-type': contentType });
      },
    },
    { method: 'GET', path: '/api/whoami', role: 'viewer', handler: (c, who) => c.json({ id: who?.id, name: who?.name, role: who?.role, version: deps.version }) },
    {
      method: 'GET',
      path: '/api/workflows',
      role: 'viewer',
      handler: (c) => c.json({ workflows: deps.catalog.list().map(({ source: _s, ...w }) => w) }),
    },
    {
      method: 'GET',
      path: '/api/workflows/:name',
      role: 'viewer',
      handler: (c) => {
        const wf = deps.catalog.get(c.req.param('name') as string);
        return wf ? c.json(wf) : fail(404, 'NOT_FOUND', `no workflow "${c.req.param('name')}"`);
      },
    },
    {
      method: 'POST',
      path: '/api/workflows/:name/runs',
      role: 'operator',
      handler: async (c) => {
        const b = await body(c);
        const name = c.req.param('name') as string;
        const runId = await deps.submit(name, b.input);
        deps.engine.report('run:started', { runId, workflow: name, steps: deps.catalog.get(name)?.tasks.length ?? 0, resumed: false });
        deps.poke();
        return c.json({ runId }, 201);
      },
    },
    {
      method: 'GET',
      path: '/api/runs',
      role: 'viewer',
      handler: async (c) => {
        const limit = intParam(c, 'limit', 500) ?? 50;
        const status = c.req.query('status');
        const q = { limit, ...(c.req.query('workflow') ? { workflow: c.req.query('workflow') as string } : {}), ...(status ? { status: status as RunStatus } : {}), ...(c.req.query('before') ? { before: c.req.query('before') as string } : {}) };
        const runs = await store.listRuns(q);
        return c.json({ runs, next: runs.length === limit ? (runs.at(-1)?.id ?? null) : null });
      },
    },
    {
      method: 'GET',
      path: '/api/runs/:id',
      role: 'viewer',
      handler: async (c) => {
        const run = await runOf(c);
        const [steps, attempts, detail] = await Promise.all([store.getSteps(run.id), store.getAttempts(run.id), store.getRunDetail(run.id)]);
        return c.json({ run, steps, attempts, result: detail?.result ?? null, userStatus: detail?.userStatus ?? null });
      },
    },
    {
      method: 'GET',
      path: '/api/runs/:id/events',
      role: 'viewer',
      handler: async (c) => c.json({ events: await store.getEvents((await runOf(c)).id, intParam(c, 'after', Number.MAX_SAFE_INTEGER) ?? 0) }),
    },
    {
      method: 'GET',
      path: '/api/runs/:id/logs',
      role: 'viewer',
      handler: async (c) => {
        const run = await runOf(c);
        const step = c.req.query('step');
        const attempt = intParam(c, 'attempt', 1_000_000);
        const lines = await store.getLogs({
          runId: run.id,
          afterSeq: intParam(c, 'after', Number.MAX_SAFE_INTEGER) ?? 0,
          limit: intParam(c, 'limit', 10_000) ?? 1000,
          ...(step ? { stepId: step } : {}),
          ...(attempt !== undefined ? { attempt } : {}),
        });
        return c.json({ lines });
      },
    },
    {
      method: 'POST',
      path: '/api/runs/:id/cancel',
      role: 'operator',
      handler: async (c) => {
        const run = await runOf(c);
        if (isFinalRun(run.status)) fail(409, 'CONFLICT', `run ${run.id} has already ${run.status}`);
        await store.cancelSteps(run.id, 'cancelled by user');
        await store.setRunStatus(run.id, ['queued', 'running', 'waiting', 'compensating'], 'cancelled', { error: 'cancelled by user' });
        deps.poke();
        return c.json({ run: await store.getRun(run.id) });
      },
    },
    {
      method: 'POST',
      path: '/api/runs/:id/retry',
      role: 'operator',
      handler: async (c) => {
        const run = await runOf(c);
        if (!isFinalRun(run.status)) fail(409, 'CONFLICT', `run ${run.id} is still ${run.status}`);
        if (run.status === 'succeeded') fail(409, 'CONFLICT', `run ${run.id} succeeded; there is nothing to retry`);
        const steps = await store.resetForRetry(run.id, null);
        deps.poke();
        return c.json({ runId: run.id, steps });
      },
    },
    {
      method: 'POST',
      path: '/api/runs/:id/signals/:name',
      role: 'operator',
      handler: async (c) => {
        const run = await runOf(c);
        if (isFinalRun(run.status)) fail(409, 'CONFLICT', `run ${run.id} has already ${run.status}`);
        const b = await body(c);
        await deps.engine.signal(run.id, c.req.param('name') as string, b.payload ?? null);
        return c.json({ sent: true });
      },
    },
    { method: 'GET', path: '/api/stream', role: 'viewer', handler: (c) => stream(c, deps.engine) },
    {
      method: 'POST',
      path: '/api/events',
      role: 'operator',
      handler: async (c) => {
        const b = await body(c);
        if (typeof b.type !== 'string' || !/^[A-Za-z][\w.-]*$/.test(b.type)) fail(400, 'INVALID_BODY', 'type must be an event type: letters, digits, "_", "." or "-", starting with a letter');
        const runs = await deps.publish({ type: b.type, data: b.data ?? null });
        deps.poke();
        return c.json({ runs }, 202);
      },
    },
    { method: 'GET', path: '/api/schedules', role: 'viewer', handler: async (c) => c.json({ schedules: await deps.schedules.list() }) },
    ...(['pause', 'resume'] as const).map(
      (verb): Route => ({
        method: 'POST',
        path: `/api/schedules/:name/:schedule/${verb}`,
        role: 'operator',
        handler: async (c) => {
          await deps.schedules.setPaused(c.req.param('name') as string, c.req.param('schedule') as string, verb === 'pause');
          return c.json({ paused: verb === 'pause' });
        },
      }),
    ),
    {
      method: 'POST',
      path: '/api/schedules/:name/:schedule/trigger',
      role: 'operator',
      handler: async (c) => c.json(await deps.schedules.trigger(c.req.param('name') as string, c.req.param('schedule') as string)),
    },
    {
      method: 'GET',
      path: '/api/tokens',
      role: 'admin',
      handler: async (c) => c.json({ tokens: (await store.listTokens()).map(({ hash: _h, ...t }) => t) }),
    },
    {
      method: 'POST',
      path: '/api/tokens',
      role: 'admin',
      handler: async (c) => {
        const b = await body(c);
        if (!isRole(b.role)) fail(400, 'INVALID_BODY', 'role must be one of viewer, operator, admin');
        const name = typeof b.name === 'string' && b.name.trim() !== '' ? b.name.trim() : `${b.role} token`;
        const { token, record } = newToken(b.role, name, Date.now());
        await store.addToken(record);
        return c.json({ id: record.id, name, role: record.role, token }, 201);
      },
    },
    {
      method: 'DELETE',
      path: '/api/tokens/:id',
      role: 'admin',
      handler: async (c) => {
        if (!(await store.revokeToken(c.req.param('id') as string, Date.now()))) fail(404, 'NOT_FOUND', `no live token "${c.req.param('id')}"`);
        return c.json({ revoked: true });
      },
    },
  ];
}

const STREAMED: Array<keyof EngineEventMap> = ['run:started', 'step:started', 'step:finished', 'step:cancelled', 'run:finished'];

/** Server-sent events: this server's run and step changes as they happen; a comment every 15 s keeps proxies from closing it. */
function stream(c: Context, engine: Engine): Response {
  return streamSSE(c, async (sse) => {
    let id = 0;
    const queue: Array<{ event: string; data: string }> = [];
    let wake: (() => void) | undefined;
    const offs = STREAMED.map((name) =>
      engine.on(name, (payload) => {
        queue.push({ event: name, data: JSON.stringify(payload) });
        wake?.();
      }),
    );
    const ping = setInterval(() => {
      queue.push({ event: 'ping', data: '{}' });
      wake?.();
    }, 15_000);
    sse.onAbort(() => {
      for (const off of offs) off();
      clearInterval(ping);
      wake?.();
    });
    await sse.writeSSE({ event: 'hello', data: JSON.stringify({ at: Date.now() }), id: String(id++) });
    while (!c.req.raw.signal.aborted && !sse.aborted) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      for (const m of queue.splice(0)) await sse.writeSSE({ ...m, id: String(id++) });
    }
  });
}

/** The app: every route of ROUTES behind its role; errors as `{error: {code, message}}`. */
export function createApp(deps: ServerDeps): { app: Hono; table: Route[] } {
  const app = new Hono();
  const table = routes(deps);
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    if (error instanceof BatonError) return c.json({ error: { code: error.code, message: error.message } }, STATUS[error.code] ?? 500);
    return c.json({ error: { code: 'INTERNAL', message: (error as Error).message } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
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
  return { app, table };
}
