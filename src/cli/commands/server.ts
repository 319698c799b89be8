/**
 * @module cli/commands/server
 * `baton server [FOLDER]`: serve the workflows of a folder over HTTP (the API
 * of server/app.ts) and run their runs with a worker in this process, on the
 * embedded store or, with --db, beside other servers and workers on
 * PostgreSQL. SIGINT/SIGTERM drain: /readyz turns 503, no new steps are
 * claimed, steps in hand may finish for --grace (the API answers meanwhile),
 * then the server exits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../core/duration.js';
import { quietUntil } from '../../core/quiet-hours.js';
import type { WorkflowDef } from '../../core/model.js';
import { COMMON_OPTIONS, help, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import type { Engine } from '../../engine/engine.js';
import type { FolderCatalog } from '../catalog.js';
import type { SubmitOptions } from '../remote-run.js';
import { buildEngine, homeDir, loadExpressionHost, openStore, startSpawner } from '../home.js';
import { packageVersion } from '../version.js';

const SYNOPSIS = 'baton server [FOLDER] [--host 127.0.0.1] [--port 7700] [--concurrency N] [--grace 30s] [--chaos RATE] [--smtp URL] [--max-runs N] [--pool NAME=SLOTS]... [--db URL]';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...COMMON_OPTIONS, host: { type: 'string' }, port: { type: 'string' }, concurrency: { type: 'string', short: 'c' }, grace: { type: 'string' }, smtp: { type: 'string' }, chaos: { type: 'string' }, 'max-runs': { type: 'string' }, pool: { type: 'string', multiple: true }, 'insecure-bind': { type: 'boolean', default: false } },
    SYNOPSIS,
  );
  if (values.help) {
    return help(SYNOPSIS, `
Serves the workflows in FOLDER (default: the current directory; every .yaml, .yml and
.json workflow file and every module exporting a code workflow) over HTTP, and runs
their runs. On first start it makes an admin token and prints it once.

      --host H            address to listen on (default 127.0.0.1); another address than
                          loopback needs --insecure-bind (no TLS here: put a proxy in front)
      --port N            port (default 7700; 0 picks a free one)
  -c, --concurrency N     steps at once in this server's worker (default 8)
      --grace D           on SIGTERM, how long steps in hand may take to finish (default 30s)
      --chaos RATE        rehearse failures: every task without its own chaos: fails with
                          this probability (0-1), and is delayed by up to 1s
      --smtp URL          the SMTP server alerts by email go through (or BATON_SMTP_URL),
                          like smtp://user:pass@host:587 (smtps:// for TLS)
      --max-runs N        runs at once, of all workflows; more wait, queued, and start
                          as runs end (highest priority first, then oldest)
      --pool NAME=SLOTS   define a resource pool: tasks with pool: NAME take one of its
                          SLOTS while they run (again for more pools; kept in the store)
      --db URL            a shared PostgreSQL store (or BATON_DB)`);
  }
  if (positionals.length > 1) throw new UsageError(`one folder at most, got ${positionals.join(' ')}\nusage: ${SYNOPSIS}`);
  const host = values.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !values['insecure-bind']) {
    throw new UsageError(`refusing to listen on ${host} without TLS: anyone who can reach it could watch the traffic, tokens included. Put a TLS proxy in front and listen on 127.0.0.1, or pass --insecure-bind if this network is trusted`);
  }
  const port = values.port === undefined ? 7700 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (0-65535), got "${values.port}"`);
  const grace = values.grace === undefined ? 30_000 : parseDuration(values.grace);
  if (grace === undefined) throw new UsageError(`--grace must be a duration like 30s, got "${values.grace}"`);
  const concurrency = positiveInt(values.concurrency, '--concurrency') ?? 8;
  const chaosRate = values.chaos === undefined ? undefined : Number(values.chaos);
  if (chaosRate !== undefined && !(chaosRate >= 0 && chaosRate <= 1)) throw new UsageError(`--chaos must be a failure rate from 0 to 1 (like 0.2), got "${values.chaos}"`);
  const maxRuns = positiveInt(values['max-runs'], '--max-runs');
  const { parsePoolFlags, definePools, undefinedPools } = await import('../pools.js');
  const pools = parsePoolFlags(values.pool);
  const smtp = values.smtp ?? process.env.BATON_SMTP_URL;
  if (smtp !== undefined && !/^smtps?:\/\//.test(smtp)) throw new UsageError(`--smtp must be an smtp:// or smtps:// URL, got "${smtp}"`);

  const { FolderCatalog } = await import('../catalog.js');
  const catalog = await FolderCatalog.load(positionals[0] ?? '.');
  for (const p of catalog.problems) process.stderr.write(`baton server: left out: ${p}\n`);

  const home = homeDir(values.home);
  const spawner = startSpawner();
  const store = await openStore(home, { db: values.db }).catch(async (error: unknown) => {
    (await spawner).close();
    throw error;
  });
  if (maxRuns !== undefined) catalog.limitRuns(maxRuns);
  await definePools(store, pools);
  for (const m of await undefinedPools(store, catalog.fileDefinitions())) process.stderr.write(`baton server: ${m}: its tasks wait until it is (--pool NAME=SLOTS, or POST /api/pools/NAME)\n`);
  const { engine, close } = await buildEngine(store, home, await spawner, chaosRate === undefined ? {} : { chaos: { failureRate: chaosRate, latencyMs: 1000 } });
  if (chaosRate !== undefined) process.stderr.write(`baton server: chaos: tasks fail with probability ${chaosRate} and are delayed by up to 1s (a rehearsal; not for production)\n`);
  const [{ Worker }, { createApp }, { newToken }, { serve }, { announceRun }] = await Promise.all([
    import('../../engine/worker.js'),
    import('../../server/app.js'),
    import('../../server/auth.js'),
    import('@hono/node-server'),
    import('../../server/announce.js'),
  ]);
  const worker = new Worker(engine, {
    concurrency,
    secretsFor: (def: WorkflowDef) => Object.fromEntries(def.secrets.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name] as string]] : []))),
    onWarning: (m) => process.stderr.write(`baton server: ${m}\n`),
    identity: { version: packageVersion() },
  });
  let ready = false;
  const { serverSchedules } = await import('../server-schedules.js');
  const submit = (name: string, input: unknown, options: SubmitOptions = {}) => catalog.submit(store, name, input, options);
  const { Metrics } = await import('../../server/metrics.js');
  const metrics = new Metrics(engine);
  metrics.watch();
  const { scheduler, control } = serverSchedules(engine, catalog, submit, (m) => process.stderr.write(`baton server: ${m}\n`), (w, s, due, at) =>
    metrics.scheduled(w, s, due, at),
  );
  const [{ matchEvent }, expressionHost] = await Promise.all([import('../../triggers/events.js'), loadExpressionHost()]);
  const subscribers = catalog.list().map((w) => ({ workflow: w.name, events: w.events }));
  const warn = (m: string) => process.stderr.write(`baton server: ${m}\n`);
  const publish = async (event: { type: string; data: unknown }, from?: string) => {
    const started: Array<{ workflow: string; runId: string }> = [];
    for (const m of matchEvent(subscribers, event, expressionHost, warn)) {
      if (m.workflow === from) continue; // a workflow does not start itself when its own run ends
      const quiet = catalog.get(m.workflow)?.quietHours;
      const until = quietUntil(quiet, engine.clockNow);
      if (until !== undefined && quiet?.action === 'skip') {
        warn(`event ${event.type}: ${m.workflow} is in quiet hours until ${new Date(until).toISOString()}; not started (action: skip)`);
        continue;
      }
      try {
        const runId = await submit(m.workflow, m.input, { trigger: 'event', ...(until !== undefined ? { notBefore: until } : {}) });
        await store.appendEvent(runId, 'run:triggered', { data: { event: event.type } });
        await announceRun(engine, runId, m.workflow, catalog.get(m.workflow)?.tasks.length ?? 0);
        started.push({ workflow: m.workflow, runId });
      } catch (error) {
        warn(`event ${event.type} could not start ${m.workflow}: ${(error as Error).message}`);
      }
    }
    return started;
  };
  // A run that ends here is an event other workflows may follow (run.succeeded, run.failed).
  engine.on('run:finished', (e) => {
    void (async () => {
      const run = await store.getRun(e.runId);
      if (!run) return;
      await publish({ type: `run.${e.status}`, data: { runId: e.runId, workflow: run.workflow, status: e.status, error: e.error } }, run.workflow);
      worker.poke();
    })().catch((error: unknown) => warn(`run.${e.status} of ${e.runId}: ${(error as Error).message}`));
  });
  // On a shared store the live stream follows the store's history: steps other machines run are in it.
  const feed = store.ordered ? undefined : new (await import('../../server/store-feed.js')).StoreFeed(store);
  await feed?.start();
  const { app } = createApp({
    engine,
    ...(feed ? { feed } : {}),
    catalog,
    schedules: control,
    metrics,
    publish: (event) => publish(event),
    submit,
    poke: () => worker.poke(),
    ready: () => ready,
    version: packageVersion(),
    consoleDir: consoleDir(),
  });

  // The first start makes an admin token; only its hash is kept.
  let firstToken: string | undefined;
  if ((await store.listTokens()).length === 0) {
    const { token, record } = newToken('admin', 'first admin', Date.now());
    await store.addToken(record);
    firstToken = token;
  }

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UsageError(`port ${port} on ${host} is in use (another baton server?); choose one with --port`) : error),
    );
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  const alerter = await startAlerts(engine, catalog, url, smtp, warn);
  const stop = new AbortController();
  const working = worker.run(stop.signal);
  scheduler.start();
  ready = true;
  const scheduled = catalog.list().reduce((n, w) => n + w.schedules.length, 0);
  process.stdout.write(`baton server: ${catalog.list().length} workflow(s) (${scheduled} schedule(s)) from ${catalog.folder}, listening on ${url}\n`);
  if (firstToken) {
    process.stdout.write(`\nThe admin token (shown this once; only its hash is kept):\n    ${firstToken}\nOpen ${url}/?token=${firstToken}\n\n`);
  }

  const drained = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(EXIT.interrupted);
      ready = false;
      process.stderr.write(`baton server: draining: ${worker.busy} step(s) in hand may take ${grace / 1000}s to finish (again to stop now)\n`);
      // The API stays up while draining (/readyz says 503, so a balancer moves away); nothing new is claimed or fired.
      const fired = scheduler.stop();
      stop.abort();
      const timer = setTimeout(() => {
        process.stderr.write(`baton server: steps still running after ${grace / 1000}s; stopping (their leases lapse and another node runs them again)\n`);
        resolve();
      }, grace);
      timer.unref();
      void Promise.all([working, fired]).then(() => {
        clearTimeout(timer);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await drained;
  await alerter.settled();
  server.close();
  // Live streams (SSE) end with the server.
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  feed?.stop();
  close();
  await store.close();
  return EXIT.ok;
}

/** The built console next to this file's package (dist/console), if it was built. */
function consoleDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../console', import.meta.url));
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/** Alerts of the served workflows: webhooks over fetch, email over the SMTP server given (nodemailer). */
async function startAlerts(engine: Engine, catalog: FolderCatalog, url: string, smtp: string | undefined, warn: (m: string) => void) {
  const { Alerter } = await import('../../server/alerts.js');
  let mail: ((to: string[], subject: string, text: string) => Promise<void>) | undefined;
  if (smtp) {
    const nodemailer = (await import('nodemailer')).default;
    const transport = nodemailer.createTransport(smtp);
    mail = async (to, subject, text) => {
      await transport.sendMail({ from: process.env.BATON_ALERT_FROM ?? 'baton <baton@localhost>', to, subject, text });
    };
  }
  const alerter = new Alerter({
    engine,
    alertsOf: (workflow) => catalog.get(workflow)?.alerts ?? [],
    secretsOf: (workflow) => (catalog.definition(workflow)?.secrets ?? []).flatMap((name) => (process.env[name] ? [process.env[name] as string] : [])),
    runUrl: (runId) => `${url}/runs/${runId}`,
    post: async (target, body) => {
      const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${target} answered ${res.status}`);
    },
    mail,
    onWarning: warn,
  });
  alerter.watch();
  return alerter;
}
