/**
 * @module server/routes
 * The API's routes, one table: method, path, the least role, a summary,
 * the body schema, and the handler.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { describeWait } from '../core/flow.js';
import { RUN_TRIGGERS, type RunTrigger } from '../core/run-trigger.js';
import { isFinalRun, RUN_STATUSES, type RunStatus } from '../core/states.js';
import { ROLES } from '../core/tokens.js';
import { workflowStats } from '../core/workflow-stats.js';
import type { Route, ServerDeps } from './app.js';
import { announceRun } from './announce.js';
import { newToken } from './auth.js';
import { body, fail, intParam, timeParam } from './http.js';
import { openApi } from './openapi.js';
import { stream } from './sse.js';

const EVENT = z.strictObject({
  type: z.string().regex(/^[A-Za-z][\w.-]*$/, 'an event type is letters, digits, "_", "." or "-", starting with a letter'),
  data: z.unknown().optional(),
});
const POOL = z.strictObject({ slots: z.int().min(1).max(1_000_000) });
const ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const TOKEN = z.strictObject({ role: z.enum(ROLES), name: z.string().optional() });

export function routes(deps: ServerDeps): Route[] {
  // Read when a request comes: the table itself needs no engine (a test walks it).
  const store = new Proxy({} as ServerDeps['engine']['store'], { get: (_, key) => Reflect.get(deps.engine.store, key, deps.engine.store) as unknown });
  const runOf = async (c: Context) => {
    const run = await store.getRun(c.req.param('id') as string);
    if (!run) fail(404, 'NOT_FOUND', `no run "${c.req.param('id')}"`);
    return run;
  };
  return [
    { method: 'GET', path: '/healthz', role: null, summary: 'The process is up',  handler: (c) => c.json({ ok: true }) },
    { method: 'GET', path: '/readyz', role: null, summary: 'Ready for work (503 while starting or draining)',  handler: (c) => (deps.ready() ? c.json({ ready: true }) : c.json({ ready: false }, 503)) },
    {
      method: 'GET',
      path: '/metrics',
      role: 'viewer',
      summary: 'Prometheus metrics (text format)',
      handler: async (c) => {
        const { body: text, contentType } = await deps.metrics.text();
        return c.body(text, 200, { 'content-type': contentType });
      },
    },
    { method: 'GET', path: '/api/whoami', role: 'viewer', summary: 'The calling token and the server version',  handler: (c, who) => c.json({ id: who?.id, name: who?.name, role: who?.role, version: deps.version }) },
    {
      method: 'GET',
      path: '/api/workflows',
      role: 'viewer',
      summary: 'The workflows served: name, kind, file, inputs, tasks, schedules, event triggers',
      handler: (c) => c.json({ workflows: deps.catalog.list().map(({ source: _s, ...w }) => w) }),
    },
    {
      method: 'GET',
      path: '/api/workflows/:name',
      role: 'viewer',
      summary: 'One workflow, with its source',
      handler: (c) => {
        const wf = deps.catalog.get(c.req.param('name') as string);
        return wf ? c.json(wf) : fail(404, 'NOT_FOUND', `no workflow "${c.req.param('name')}"`);
      },
    },
    {
      method: 'GET',
      path: '/api/workflows/:name/stats',
      role: 'viewer',
      summary: 'How its latest runs went: failure rate and duration percentiles, and per step attempts, failures, retries, duration and queue-wait percentiles (ms)',
      query: { runs: 'the latest this many runs (default 100, up to 1000)' },
      handler: async (c) => {
        const name = c.req.param('name') as string;
        if (!deps.catalog.get(name)) fail(404, 'NOT_FOUND', `no workflow "${name}"`);
        return c.json(workflowStats(await store.workflowHistory(name, intParam(c, 'runs', 1000) ?? 100)));
      },
    },
    {
      method: 'POST',
      path: '/api/workflows/:name/runs',
      role: 'operator',
      summary: 'Start a run (inputs checked as baton run --input checks them)',
      body: z.strictObject({ input: z.unknown().optional() }),
      handler: async (c) => {
        const b = await body(c, z.strictObject({ input: z.unknown().optional() }));
        const name = c.req.param('name') as string;
        const runId = await deps.submit(name, b.input);
        await announceRun(deps.engine, runId, name, deps.catalog.get(name)?.tasks.length ?? 0);
        deps.poke();
        return c.json({ runId }, 201);
      },
    },
    {
      method: 'GET',
      path: '/api/runs',
      role: 'viewer',
      summary: 'Runs, newest first, each with what started it (trigger); next is the value of before for the next page',
      query: {
        workflow: 'only this workflow',
        status: 'only runs in this status',
        trigger: 'only runs started this way: manual, schedule, event or parent',
        since: 'only runs created at or after this time (ISO 8601 or ms since the epoch)',
        until: 'only runs created before this time (ISO 8601 or ms since the epoch)',
        q: 'only runs whose id starts with this text or whose input contains it (case-insensitive)',
        limit: 'at most this many (default 50, up to 500)',
        before: 'runs created before this run id (paging)',
      },
      handler: async (c) => {
        const limit = intParam(c, 'limit', 500) ?? 50;
        const status = c.req.query('status');
        const trigger = c.req.query('trigger');
        if (status && !(RUN_STATUSES as readonly string[]).includes(status)) fail(400, 'INVALID_QUERY', `?status= must be one of ${RUN_STATUSES.join(', ')}, got "${status}"`);
        if (trigger && !(RUN_TRIGGERS as readonly string[]).includes(trigger)) fail(400, 'INVALID_QUERY', `?trigger= must be one of ${RUN_TRIGGERS.join(', ')}, got "${trigger}"`);
        const since = timeParam(c, 'since');
        const until = timeParam(c, 'until');
        const q = {
          limit,
          ...(c.req.query('workflow') ? { workflow: c.req.query('workflow') as string } : {}),
          ...(status ? { status: status as RunStatus } : {}),
          ...(trigger ? { trigger: trigger as RunTrigger } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(c.req.query('q')?.trim() ? { search: (c.req.query('q') as string).trim() } : {}),
          ...(c.req.query('before') ? { before: c.req.query('before') as string } : {}),
        };
        const runs = await store.listRuns(q);
        return c.json({ runs, next: runs.length === limit ? (runs.at(-1)?.id ?? null) : null });
      },
    },
    {
      method: 'GET',
      path: '/api/runs/:id',
      role: 'viewer',
      summary: 'A run: its row, steps, attempts, result, user status, and what it waits for (concurrency gates, pools)',
      handler: async (c) => {
        const run = await runOf(c);
        const [steps, attempts, detail, flow] = await Promise.all([store.getSteps(run.id), store.getAttempts(run.id), store.getRunDetail(run.id), store.flow(run.id)]);
        return c.json({ run, steps, attempts, result: detail?.result ?? null, userStatus: detail?.userStatus ?? null, flow, waiting: describeWait(flow) });
      },
    },
    {
      method: 'GET',
      path: '/api/runs/:id/events',
      role: 'viewer',
      summary: 'The run\'s history, oldest first',
      query: { after: 'only events after this seq' },
      handler: async (c) => c.json({ events: await store.getEvents((await runOf(c)).id, intParam(c, 'after', Number.MAX_SAFE_INTEGER) ?? 0) }),
    },
    {
      method: 'GET',
      path: '/api/runs/:id/logs',
      role: 'viewer',
      summary: 'Captured output lines with timestamps',
      query: { step: 'one step', attempt: 'one attempt', after: 'only lines after this seq', limit: 'at most this many (default 1000)' },
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
      summary: 'Cancel a run: its running steps are stopped (process groups killed)',
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
      summary: 'Re-run what failed and what it skipped, keeping successes',
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
      summary: 'Send a signal (an approval, a payload) to a code run',
      body: z.strictObject({ payload: z.unknown().optional() }),
      handler: async (c) => {
        const run = await runOf(c);
        if (isFinalRun(run.status)) fail(409, 'CONFLICT', `run ${run.id} has already ${run.status}`);
        const b = await body(c, z.strictObject({ payload: z.unknown().optional() }));
        await deps.engine.signal(run.id, c.req.param('name') as string, b.payload ?? null);
        return c.json({ sent: true });
      },
    },
    { method: 'GET', path: '/api/stream', role: 'viewer', summary: 'Server-sent events: run and step changes as they happen',  handler: (c) => stream(c, deps.engine, deps.feed) },
    {
      method: 'POST',
      path: '/api/events',
      role: 'operator',
      summary: 'Post an event: starts the workflows whose on.event matches',
      body: EVENT,
      handler: async (c) => {
        const b = await body(c, EVENT);
        const runs = await deps.publish({ type: b.type, data: b.data ?? null });
        deps.poke();
        return c.json({ runs }, 202);
      },
    },
    { method: 'GET', path: '/api/openapi.json', role: 'viewer', summary: 'This description of the API (OpenAPI 3.1)', handler: (c) => c.json(openApi(routes(deps), deps.version)) },
    { method: 'GET', path: '/api/schedules', role: 'viewer', summary: 'Schedules with effective policies, state, next and last fires',  handler: async (c) => c.json({ schedules: await deps.schedules.list() }) },
    ...(['pause', 'resume'] as const).map(
      (verb): Route => ({
        method: 'POST',
        path: `/api/schedules/:name/:schedule/${verb}`,
        role: 'operator',
        summary: verb === 'pause' ? 'Pause a schedule' : 'Resume a schedule (the paused time is not caught up)',
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
      summary: 'Fire a schedule now (its overlap policy applies)',
      handler: async (c) => c.json(await deps.schedules.trigger(c.req.param('name') as string, c.req.param('schedule') as string)),
    },
    {
      method: 'GET',
      path: '/api/workers',
      role: 'viewer',
      summary: 'Workers (every process that executes steps), live first: host, pid, capacity, last heartbeat, state (live, lost, stopped), the steps and code runs each holds; now is the store\'s time',
      handler: async (c) => c.json(await store.listWorkers()),
    },
    { method: 'GET', path: '/api/pools', role: 'viewer', summary: 'Resource pools: slots, slots taken, tasks queued', handler: async (c) => c.json({ pools: await store.listPools() }) },
    {
      method: 'POST',
      path: '/api/pools/:name',
      role: 'admin',
      summary: 'Define a pool or change its slots; queued tasks take the slots it gains',
      body: POOL,
      handler: async (c) => {
        const name = c.req.param('name') as string;
        if (!ID.test(name)) fail(400, 'INVALID_INPUT', `pool name "${name}" is not valid: letters, digits, "_", "." and "-", starting with a letter or "_"`);
        await store.setPool(name, (await body(c, POOL)).slots);
        deps.poke();
        return c.json({ pool: (await store.listPools()).find((p) => p.name === name) });
      },
    },
    {
      method: 'DELETE',
      path: '/api/pools/:name',
      role: 'admin',
      summary: 'Remove a pool (its queued tasks wait until it is defined again)',
      handler: async (c) => {
        await store.setPool(c.req.param('name') as string, null);
        return c.json({ removed: true });
      },
    },
    {
      method: 'GET',
      path: '/api/tokens',
      role: 'admin',
      summary: 'API tokens (never their secrets)',
      handler: async (c) => c.json({ tokens: (await store.listTokens()).map(({ hash: _h, ...t }) => t) }),
    },
    {
      method: 'POST',
      path: '/api/tokens',
      role: 'admin',
      summary: 'Make a token; the response carries it, once',
      body: TOKEN,
      handler: async (c) => {
        const b = await body(c, TOKEN);
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
      summary: 'Revoke a token at once',
      handler: async (c) => {
        if (!(await store.revokeToken(c.req.param('id') as string, Date.now()))) fail(404, 'NOT_FOUND', `no live token "${c.req.param('id')}"`);
        return c.json({ revoked: true });
      },
    },
  ];
}

