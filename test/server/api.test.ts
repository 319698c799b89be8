/**
 * `baton server` from the outside: the built CLI started on a free port,
 * spoken to over real HTTP on loopback, serving test/fixtures/server on an
 * embedded store in a temporary home.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type ServerDeps } from '../../src/server/app.js';
import { processesWith, Sandbox, until } from '../helpers/cli.js';

const FOLDER = resolve(import.meta.dirname, '../fixtures/server');

let box: Sandbox;
let server: ReturnType<Sandbox['start']>;
let base: string;
let admin: string;
let stderr = '';

async function api(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function token(role: string): Promise<string> {
  const r = await box.run(['token', 'create', '--role', role, '--name', `test ${role}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n')[0] as string;
}

type Run = { id: string; status: string };

/** Wait for an async condition (polls every 50 ms). */
async function eventually(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function runEnds(runId: string, tokenValue: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await eventually(async () => {
    last = (await api('GET', `/api/runs/${runId}`, tokenValue)).json;
    return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes((last.run as Run).status);
  }, timeoutMs);
  return last;
}

beforeAll(async () => {
  box = new Sandbox();
  server = box.start(['server', FOLDER, '--port', '0', '--concurrency', '4', '--grace', '10s'], { EFFECTS_DIR: box.dir });
  server.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // The first start prints where it listens, then the admin token and its link.
  await until(() => /listening on (http:\S+)/.test(server.output()) && /^Open http/m.test(server.output()), 20_000);
  base = (/listening on (http:\S+)/.exec(server.output()) as RegExpExecArray)[1] as string;
  admin = (/^\s+(baton_\S+)$/m.exec(server.output()) as RegExpExecArray)[1] as string;
}, 30_000);

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  box.remove();
});

describe('baton server', () => {
  it('starts with an admin token printed once, with a console link, and reports the files it left out', async () => {
    expect(server.output()).toContain(`Open ${base}/?token=${admin}`);
    expect(stderr).toMatch(/left out: \S*broken\.yaml:\d+:\d+: .*nowhere/);
    const listed = await api('GET', '/api/workflows', admin);
    expect((listed.json.workflows as Array<{ name: string; kind: string }>).map((w) => `${w.name}:${w.kind}`)).toEqual([
      'approval:code',
      'drain:file',
      'follow:file',
      'on-push:file',
      'once:file',
      'quick:file',
      'slow:file',
      'tick:file',
    ]);
    const one = await api('GET', '/api/workflows/quick', admin);
    expect(one.json.source).toContain('echo hello ${{ inputs.who }}');
    expect((await api('GET', '/healthz')).status).toBe(200);
    expect((await api('GET', '/readyz')).json).toEqual({ ready: true });
    // The link printed at start opens the console, a page that holds no data, under a CSP with no inline code.
    const page = await fetch(`${base}/?token=${admin}`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).not.toContain('baton_');
    // Console paths fall back to the page; an unknown /api path stays a JSON 404; a missing asset is a 404.
    expect(await (await fetch(`${base}/runs/some-run`)).text()).toBe(html);
    expect(await api('GET', '/api/nothing', admin)).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND' } } });
    expect((await fetch(`${base}/assets/nothing.js`)).status).toBe(404);
    expect((await fetch(`${base}/..%2f..%2fpackage.json`)).status).toBe(404);
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const asset = await fetch(base + script);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('every route but /healthz and /readyz needs a token, and a role that may call it', async () => {
    const viewer = await token('viewer');
    const operator = await token('operator');
    const table = routes({} as ServerDeps);
    expect(table.length).toBeGreaterThan(15);
    expect(table.filter((r) => r.role === null).map((r) => r.path)).toEqual(['/healthz', '/readyz']);
    const fill = (path: string) => path.replace(':id', 'no-such-run').replace(':name', 'quick');
    for (const route of table) {
      const path = fill(route.path);
      const anonymous = await fetch(base + path, { method: route.method });
      if (route.role === null) {
        expect(anonymous.status, `${route.method} ${route.path}`).toBe(200);
        continue;
      }
      expect(anonymous.status, `${route.method} ${route.path} without a token`).toBe(401);
      const forged = await fetch(base + path, { method: route.method, headers: { authorization: `Bearer ${admin.slice(0, -4)}AAAA` } });
      expect(forged.status, `${route.method} ${route.path} with a forged token`).toBe(401);
      for (const [role, value] of [
        ['viewer', viewer],
        ['operator', operator],
      ] as const) {
        const allowed = route.role === 'viewer' || (route.role === 'operator' && role === 'operator');
        const controller = new AbortController();
        const res = await fetch(base + path, { method: route.method, headers: { authorization: `Bearer ${value}` }, signal: controller.signal });
        controller.abort(); // the event stream would not end by itself
        if (allowed) expect([401, 403], `${route.method} ${route.path} as ${role}`).not.toContain(res.status);
        else expect(res.status, `${route.method} ${route.path} as ${role}`).toBe(403);
      }
    }
    // A revoked token is refused at once.
    const id = (/^baton_([0-9a-f]+)_/.exec(viewer) as RegExpExecArray)[1] as string;
    expect((await api('DELETE', `/api/tokens/${id}`, admin)).status).toBe(200);
    expect((await api('GET', '/api/runs', viewer)).status).toBe(401);
  });

  it('starts a run over HTTP, streams its steps live, and serves its history and logs', async () => {
    const operator = await token('operator');
    const controller = new AbortController();
    const stream = await fetch(`${base}/api/stream`, { headers: { authorization: `Bearer ${operator}` }, signal: controller.signal });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    let seen = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) seen += decoder.decode(chunk);
    })().catch(() => undefined);
    const started = await api('POST', '/api/workflows/quick/runs', operator, { input: { who: 'api' } });
    expect(started.status).toBe(201);
    const runId = started.json.runId as string;
    const detail = await runEnds(runId, operator);
    expect((detail.run as Run).status).toBe('succeeded');
    expect((detail.steps as Array<{ id: string; status: string }>).map((s) => `${s.id}:${s.status}`)).toEqual(['hello:succeeded', 'done:succeeded']);
    await until(() => seen.includes(`"runId":"${runId}","status":"succeeded"`), 5000);
    expect(seen).toMatch(new RegExp(`event: run:started\\ndata: \\{"runId":"${runId}"`));
    expect(seen).toMatch(/event: step:finished\ndata: \{[^}]*"stepId":"hello"[^}]*"status":"succeeded"/);
    controller.abort();
    await reading;
    const logs = await api('GET', `/api/runs/${runId}/logs?step=hello`, operator);
    expect((logs.json.lines as Array<{ line: string }>).map((l) => l.line)).toEqual(['hello api']);
    const events = await api('GET', `/api/runs/${runId}/events`, operator);
    expect((events.json.events as Array<{ type: string }>).map((e) => e.type)).toContain('run:succeeded');
    const listed = await api('GET', '/api/runs?workflow=quick&limit=5', operator);
    expect((listed.json.runs as Run[]).map((r) => r.id)).toContain(runId);
  });

  it('refuses bad input with what was wrong, where', async () => {
    const operator = await token('operator');
    const enumBad = await api('POST', '/api/workflows/quick/runs', operator, { input: { whom: 'x' } });
    expect(enumBad.status).toBe(400);
    expect(enumBad.json.error).toEqual({ code: 'INVALID_INPUT', message: expect.stringMatching(/unknown input "whom".*did you mean "who"/) as string });
    expect((await api('POST', '/api/workflows/quick/runs', operator, '{nope')).json.error).toMatchObject({ code: 'INVALID_JSON' });
    expect((await api('POST', '/api/workflows/nothere/runs', operator, {})).status).toBe(404);
    expect((await api('GET', '/api/runs?limit=lots', operator)).json.error).toMatchObject({ code: 'INVALID_QUERY' });
    expect((await api('POST', '/api/tokens', admin, { role: 'king' })).status).toBe(400);
  });

  it('cancels a running run (its process group is killed), retries a failed one from the failed step, and delivers a signal', async () => {
    const operator = await token('operator');
    const slow = (await api('POST', '/api/workflows/slow/runs', operator, {})).json.runId as string;
    await until(() => processesWith('sleep 31.5').length > 0, 15_000);
    const cancelled = await api('POST', `/api/runs/${slow}/cancel`, operator);
    expect((cancelled.json.run as Run).status).toBe('cancelled');
    await until(() => processesWith('sleep 31.5').length === 0, 10_000);
    expect((await api('POST', `/api/runs/${slow}/cancel`, operator)).status).toBe(409);

    const once = (await api('POST', '/api/workflows/once/runs', operator, {})).json.runId as string;
    expect(((await runEnds(once, operator)).run as Run).status).toBe('failed');
    expect((await api('POST', `/api/runs/${once}/retry`, operator)).json).toMatchObject({ runId: once, steps: ['flaky'] });
    const retried = await runEnds(once, operator);
    expect((retried.run as Run).status).toBe('succeeded');
    const attempts = (retried.attempts as Array<{ stepId: string; status: string }>).map((a) => `${a.stepId}:${a.status}`);
    expect(attempts.filter((a) => a.startsWith('first'))).toEqual(['first:succeeded']);
    expect(attempts.filter((a) => a.startsWith('flaky'))).toEqual(['flaky:failed', 'flaky:succeeded']);

    const controller = new AbortController();
    const stream = await fetch(`${base}/api/stream`, { headers: { authorization: `Bearer ${operator}` }, signal: controller.signal });
    let seen = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) seen += decoder.decode(chunk);
    })().catch(() => undefined);
    const approval = (await api('POST', '/api/workflows/approval/runs', operator, {})).json.runId as string;
    await eventually(async () => ((await api('GET', `/api/runs/${approval}`, operator)).json.run as Run).status === 'waiting', 15_000);
    expect((await api('POST', `/api/runs/${approval}/signals/approve`, operator, { payload: { by: 'ada' } })).status).toBe(200);
    const approved = await runEnds(approval, operator);
    expect((approved.run as Run).status).toBe('succeeded');
    expect(JSON.parse(approved.result as string)).toEqual({ approvedBy: 'ada' });
    // Watchers hear a code run start once and end once.
    await until(() => seen.includes(`"runId":"${approval}","status":"succeeded"`), 5000);
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await reading;
    const count = (event: string) => seen.split(`event: ${event}\ndata: {"runId":"${approval}"`).length - 1;
    expect([count('run:started'), count('run:finished')]).toEqual([1, 1]);
  }, 60_000);

  it('an event starts the workflows whose on.event matches; a run that succeeds starts the workflows that follow it', async () => {
    const operator = await token('operator');
    expect((await api('POST', '/api/events', operator, { type: 'git.push', data: { branch: 'dev' } })).json).toEqual({ runs: [] });
    const pushed = await api('POST', '/api/events', operator, { type: 'git.push', data: { branch: 'main', pusher: 'ada' } });
    expect(pushed.status).toBe(202);
    const [build] = pushed.json.runs as Array<{ workflow: string; runId: string }>;
    expect(build?.workflow).toBe('on-push');
    await runEnds(build?.runId as string, operator);
    const lines = (await api('GET', `/api/runs/${build?.runId}/logs`, operator)).json.lines as Array<{ line: string }>;
    expect(lines.map((l) => l.line)).toEqual(['build main for ada']);
    expect((await api('POST', '/api/events', operator, { type: '' })).status).toBe(400);

    const quick = (await api('POST', '/api/workflows/quick/runs', operator, {})).json.runId as string;
    await runEnds(quick, operator);
    let follower: Run | undefined;
    await eventually(async () => {
      const runs = (await api('GET', '/api/runs?workflow=follow&limit=50', operator)).json.runs as Array<Run & { input: { after: string } }>;
      follower = runs.find((r) => r.input.after === quick);
      return follower !== undefined;
    }, 10_000);
    expect(((await runEnds((follower as Run).id, operator)).run as Run).status).toBe('succeeded');
  }, 30_000);

  it('lists runs by what started them, by time, and by run id or input text', async () => {
    const viewer = await token('viewer');
    type Listed = Run & { workflow: string; trigger: string; input: Record<string, unknown> };
    const list = async (q: string) => (await api('GET', `/api/runs?limit=500&${q}`, viewer)).json.runs as Listed[];
    const byEvent = await list('trigger=event');
    expect(byEvent.map((r) => r.workflow)).toContain('on-push');
    expect(new Set(byEvent.map((r) => r.trigger))).toEqual(new Set(['event']));
    const pushed = byEvent.find((r) => r.workflow === 'on-push') as Listed;
    expect((await list('q=ADA')).map((r) => r.id)).toContain(pushed.id);
    expect((await list(`q=${pushed.id}`)).map((r) => r.id)).toEqual([pushed.id]);
    expect((await list('trigger=manual')).every((r) => r.trigger === 'manual' && !byEvent.some((e) => e.id === r.id))).toBe(true);
    expect(await list(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect((await list(`until=${new Date(Date.now() + 60_000).toISOString()}`)).length).toBeGreaterThan(2);
    expect((await api('GET', '/api/runs?trigger=cron', viewer)).json.error).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringContaining('manual, schedule, event, parent') as string });
    expect((await api('GET', '/api/runs?since=yesterday', viewer)).status).toBe(400);
    expect((await api('GET', '/api/runs?status=done', viewer)).status).toBe(400);
  });

  it('fires schedules, shows them with their policies and next fires, and pauses, resumes and triggers them', async () => {
    const operator = await token('operator');
    type View = { workflow: string; id: string; when: string; catchUp: string; overlap: string; paused: boolean; next: string[]; last: Array<{ outcome: string; runId: string | null }> };
    const view = async () => ((await api('GET', '/api/schedules', operator)).json.schedules as View[]).find((v) => v.workflow === 'tick') as View;
    const first = await view();
    expect(first).toMatchObject({ id: 'every-2s', when: 'every 2s', catchUp: 'latest', overlap: 'allow', paused: false });
    expect(first.next).toHaveLength(5);
    expect(Date.parse(first.next[1] as string) - Date.parse(first.next[0] as string)).toBe(2000);
    await eventually(async () => (await view()).last.some((f) => f.outcome === 'fired'), 10_000);
    const fired = (await view()).last.find((f) => f.outcome === 'fired') as { runId: string };
    const run = await runEnds(fired.runId, operator);
    expect((run.steps as Array<{ id: string }>).map((x) => x.id)).toEqual(['note']);
    const logs = await api('GET', `/api/runs/${fired.runId}/logs`, operator);
    expect((logs.json.lines as Array<{ line: string }>).map((l) => l.line)).toEqual(['scheduled']);
    const events = (await api('GET', `/api/runs/${fired.runId}/events`, operator)).json.events as Array<{ type: string; data: unknown }>;
    expect(events.find((e) => e.type === 'run:scheduled')?.data).toMatchObject({ schedule: 'every-2s' });

    expect((await api('POST', '/api/schedules/tick/every-2s/pause', operator)).json).toEqual({ paused: true });
    const before = await store_fires();
    await new Promise((r) => setTimeout(r, 4500));
    expect(await store_fires()).toBe(before);
    expect((await view()).paused).toBe(true);
    expect((await api('POST', '/api/schedules/tick/every-2s/trigger', operator)).json).toMatchObject({ outcome: 'fired' });
    expect((await api('POST', '/api/schedules/tick/every-2s/resume', operator)).json).toEqual({ paused: false });
    expect((await api('POST', '/api/schedules/tick/nope/pause', operator)).status).toBe(404);

    async function store_fires(): Promise<number> {
      return ((await api('GET', '/api/runs?workflow=tick&limit=500', operator)).json.runs as Run[]).length;
    }
  }, 30_000);

  it('/metrics: runs and steps by status, durations as histograms, retries, queue depth and schedule lag, in Prometheus format', async () => {
    const viewer = await token('viewer');
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (line: RegExp) => Number((line.exec(text) as RegExpExecArray | null)?.[1] ?? NaN);
    expect(value(/^baton_runs\{workflow="quick",status="succeeded"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^baton_runs\{workflow="slow",status="cancelled"\} (\d+)$/m)).toBe(1);
    expect(value(/^baton_steps_finished_total\{kind="task",status="succeeded"\} (\d+)$/m)).toBeGreaterThan(5);
    expect(value(/^baton_steps_finished_total\{kind="task",status="failed"\} (\d+)$/m)).toBe(1);
    expect(value(/^baton_run_duration_seconds_count\{workflow="quick",status="succeeded"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^baton_step_duration_seconds_bucket\{le="\+Inf",kind="task",status="succeeded"\} (\d+)$/m)).toBeGreaterThan(5);
    expect(value(/^baton_schedule_lag_seconds_count\{workflow="tick",schedule="every-2s"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^baton_steps_ready (\d+)$/m)).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^# TYPE baton_step_retries_total counter$/m);
    // A code run (adopted by the server's worker) finishes once: counted once, not once per announcer.
    expect(value(/^baton_runs_finished_total\{workflow="approval",status="succeeded"\} (\d+)$/m)).toBe(1);
    expect(value(/^baton_run_duration_seconds_count\{workflow="approval",status="succeeded"\} (\d+)$/m)).toBe(1);
  });

  it('SIGTERM drains: not ready any more, the step in hand finishes, then the server exits', async () => {
    const operator = await token('operator');
    const runId = (await api('POST', '/api/workflows/drain/runs', operator, {})).json.runId as string;
    await until(() => processesWith('sleep 1.5').length > 0, 15_000);
    server.child.kill('SIGTERM');
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 503, 1000);
    expect((await api('GET', '/healthz')).status).toBe(200);
    const done = await server.done;
    expect(done.code).toBe(0);
    expect(box.lines('drain.txt')).toEqual(['nap finished']);
    const after = await box.json<{ status: string; steps: Array<{ id: string; status: string }> }>(['show', runId]);
    expect(after.steps.find((s) => s.id === 'nap')?.status).toBe('succeeded');
    expect(after.status).toBe('succeeded');
  }, 30_000);

  it('baton plan shows what a server would serve: graphs, schedules with policies and next fires, files left out', async () => {
    const r = await box.run(['plan', FOLDER, '--json']);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout) as { workflows: Array<{ workflow: string; tasks: number; schedules: Array<{ id: string; overlap: string; next: string[] }> }>; problems: string[] };
    const tick = plan.workflows.find((w) => w.workflow === 'tick');
    expect(tick?.schedules.map((s) => [s.id, s.overlap, s.next.length])).toEqual([['every-2s', 'allow', 5]]);
    expect(plan.problems.join('\n')).toMatch(/broken\.yaml:\d+:\d+: .*nowhere/);
    const text = await box.run(['plan', FOLDER]);
    expect(text.stdout).toMatch(/tick {2}\(tick\.yaml; 1 task, 1 to start with\)\n {2}schedule every-2s: every 2s; catch-up latest; overlap allow\n {4}next: /);
  });

  it('refuses to listen beyond loopback without --insecure-bind', async () => {
    const r = await box.run(['server', FOLDER, '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without TLS.*--insecure-bind/);
    const chaos = await box.run(['server', FOLDER, '--port', '0', '--chaos', '2']);
    expect(chaos.code).toBe(2);
    expect(chaos.stderr).toContain('--chaos must be a failure rate from 0 to 1 (like 0.2), got "2"');
  });
});
