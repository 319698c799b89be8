// A worker process of a measurement (spawned by bench/pg/measure.mjs with
// the measurement's settings as JSON): the contender's worker, set up, then
// "ready"; started on "go"; on "stop" it sends the keys it called and when.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { recorded } from '../pg-task.mjs';
import { adapterOf } from './adapters.mjs';
import { PEERS } from './common.mjs';

/** A worker process: set up, "ready"; on "go" start, reporting the count every 20 ms; on "stop", stop and send what it called. */
async function workerMain(cfgText) {
  const cfg = JSON.parse(cfgText);
  // --sql (run mode): every statement this process sends through node-postgres, counted by its text.
  const sql = process.env.BATON_BENCH_SQL === '1' ? new Map() : undefined;
  if (sql) {
    // baton's node-postgres (the repository's) and the peers' (bench/peers/node_modules).
    const peersPg = cfg.contender === 'baton' ? undefined : (await import(pathToFileURL(join(PEERS, 'node_modules/pg/lib/index.js')).href)).default;
    for (const Client of new Set([pg.Client, peersPg?.Client].filter(Boolean))) {
      const query = Client.prototype.query;
      Client.prototype.query = function (text, ...rest) {
        const t = typeof text === 'string' ? text : (text?.text ?? text?.name ?? String(text));
        const label = t.replace(/\s+/g, ' ').trim().slice(0, 90);
        sql.set(label, (sql.get(label) ?? 0) + 1);
        return query.call(this, text, ...rest);
      };
    }
  }
  const profiler = process.env.BATON_BENCH_PROFILE ? await cpuProfiler() : undefined;
  const adapter = await adapterOf(cfg.contender);
  const w = await adapter.startWorker(cfg);
  const state = recorded();
  let reported = 0;
  let ticker;
  let cpuAtGo;
  let cpuMs;
  process.on('disconnect', () => process.exit(1));
  process.on('message', async (msg) => {
    try {
      if (msg.type === 'go') {
        sql?.clear();
        await profiler?.start();
        cpuAtGo = process.cpuUsage();
        ticker = setInterval(() => {
          if (state.keys.length !== reported) {
            reported = state.keys.length;
            process.send({ type: 'count', n: reported });
          }
        }, 20);
        await w.go();
      } else if (msg.type === 'stop') {
        clearInterval(ticker);
        const used = process.cpuUsage(cpuAtGo);
        cpuMs = (used.user + used.system) / 1000;
        await profiler?.stop(join(process.env.BATON_BENCH_PROFILE, `${cfg.contender.replace(/\W+/g, '-')}-${cfg.scenario}-${process.pid}.cpuprofile`));
        await w.stop();
        process.send({ type: 'done', keys: state.keys, times: state.times, cpuMs, sql: sql ? [...sql] : undefined }, () => process.exit(0));
      }
    } catch (error) {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    }
  });
  process.send({ type: 'ready' });
}

/** --profile: a V8 CPU profile of this process from "go" to "stop" (node:inspector), not of its start-up. */
async function cpuProfiler() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  return {
    start: () => post('Profiler.start'),
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

workerMain(process.argv[2]).catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
