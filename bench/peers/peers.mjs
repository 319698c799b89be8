// The peers bench/pg.mjs measures baton against, each doing the same three
// scenarios with no-op jobs. Lives here so that its imports resolve to
// bench/peers/node_modules (installed by the bench; never baton's
// dependencies). Every peer has, on the bench's side (the parent process):
//   prepare(m)        a fresh schema (or Redis key prefix) and the jobs of the
//                     scenario enqueued before any worker starts
//   finished(s, m)    true once the store says every job is done
//   verify(s, m)      problems seen in the store (an empty list: all is well)
//   cleanup(s, m)     the schema dropped / the keys deleted
// and in a worker process (bench/pg.mjs, mode `worker`):
//   startWorker(m)    connects and gets ready, then { go(), stop() }
// where `m` says the scenario: { scenario, url, schema, prefix, redis, keys
// (throughput), chain, width }. Jobs call record(key) from ../pg-task.mjs
// first thing; the key names the job the same way for every contender.
//
// Scenario shapes (the handler of each job):
//   throughput  20,000 jobs `noop` {k} enqueued in bulk
//   chain       job `chain` {i}: enqueues {i: i+1} as its last act, until 500
//   fanout      `fan_first` enqueues 1,000 `fan_child` in one call; each child
//               bumps a counter and the one that reaches 1,000 enqueues
//               `fan_join` (graphile-worker, pg-boss: a counter row in the
//               measurement's schema); BullMQ: fan_first adds a flow, the
//               parent `fan_join` with the 1,000 children (FlowProducer).
import { FlowProducer, Queue, Worker as BullWorker } from 'bullmq';
import { Logger, makeWorkerUtils, run as runGraphile, runMigrations } from 'graphile-worker';
import IORedis from 'ioredis';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { record } from '../pg-task.mjs';

const q = (name) => `"${name.replace(/"/g, '""')}"`;
const chunks = (xs, n) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

// ------------------------------------------------------------ graphile-worker

/**
 * Errors only: graphile-worker warns that a pool of 10 is smaller than
 * concurrency 24. The tuned configuration keeps the pool of 10: with
 * maxPoolSize 26 (its advice, concurrency + 2) 4 processes would need more
 * connections than a stock server's 100 (1 process: about 5% faster).
 */
const quiet = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

export const GRAPHILE_TUNED = { concurrency: 24, preset: { worker: { localQueue: { size: 500 } } } };
/**
 * graphile-worker's own performance settings (worker.graphile.org/docs/performance):
 * the tuned ones plus batched completions and failures (a job's completion
 * waits for the next tick and goes out with the others in one statement).
 * Its page also raises maxPoolSize to 25; kept at 10 here for the reason above.
 */
export const GRAPHILE_BATCHED = {
  concurrency: 24,
  preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
};

function graphile(settings) {
  return {
    async prepare(m) {
      const pool = new pg.Pool({ connectionString: m.url, max: 2 });
      const onError = (e) => process.stderr.write(`graphile-worker set-up pool: ${e.message}\n`);
      pool.on('error', onError);
      pool.on('connect', (client) => client.on('error', onError));
      try {
        await runMigrations({ pgPool: pool, schema: m.schema, logger: quiet });
        const utils = await makeWorkerUtils({ pgPool: pool, schema: m.schema, logger: quiet });
        try {
          if (m.scenario === 'throughput') {
            for (const c of chunks(m.keys, 5000)) await utils.addJobs(c.map((k) => ({ identifier: 'noop', payload: { k } })));
          } else if (m.scenario === 'chain') {
            await utils.addJob('chain', { i: 0 });
          } else {
            await pool.query(`CREATE TABLE ${q(m.schema)}.bench_counter (n int NOT NULL); INSERT INTO ${q(m.schema)}.bench_counter VALUES (0)`);
            await utils.addJob('fan_first', {});
          }
        } finally {
          await utils.release();
        }
      } finally {
        await pool.end();
      }
      return { pool: new pg.Pool({ connectionString: m.url, max: 1 }) };
    },
    // A job is deleted when it succeeds; a failed one stays (with last_error).
    async finished(s, m) {
      const { rows } = await s.pool.query(`SELECT count(*)::int AS n FROM ${q(m.schema)}._private_jobs`);
      return rows[0].n === 0;
    },
    async verify(s, m) {
      const { rows } = await s.pool.query(`SELECT count(*)::int AS n, count(last_error)::int AS failed FROM ${q(m.schema)}._private_jobs`);
      return rows[0].n === 0 ? [] : [`${rows[0].n} jobs left in ${m.schema}._private_jobs (${rows[0].failed} with an error)`];
    },
    async cleanup(s) {
      await s.pool?.end();
    },
    async startWorker(m) {
      const taskList = {
        noop: async (p) => record(p.k),
        chain: async (p, h) => {
          record(`c/s${p.i}`);
          if (p.i + 1 < m.chain) await h.addJob('chain', { i: p.i + 1 });
        },
        fan_first: async (_p, h) => {
          record('f/first');
          await h.addJobs(Array.from({ length: m.width }, (_, i) => ({ identifier: 'fan_child', payload: { i } })));
        },
        fan_child: async (p, h) => {
          record(`f/s${p.i}`);
          const { rows } = await h.query(`UPDATE ${q(m.schema)}.bench_counter SET n = n + 1 RETURNING n`);
          if (rows[0].n === m.width) await h.addJob('fan_join', {});
        },
        fan_join: async () => record('f/join'),
      };
      let runner;
      return {
        // run() connects (its own pool, maxPoolSize 10 by default), checks the migrations and starts.
        async go() {
          runner = await runGraphile({ connectionString: m.url, schema: m.schema, taskList, noHandleSignals: true, logger: quiet, ...settings });
        },
        async stop() {
          await runner?.stop();
        },
      };
    },
  };
}

// ------------------------------------------------------------ pg-boss

/**
 * pg-boss polls (no LISTEN): a work() loop fetches a batch, runs it, then
 * waits out the polling interval (0.5 s, the least allowed) unless woken by
 * notifyWorker(). Per worker process: 4 work() loops of batchSize 500 (of
 * those tried, 4 x 100 did 800 jobs/s with 1 process, 4 x 500 about 4,000).
 */
export const PGBOSS = { loops: 4, batchSize: 500, pollingIntervalSeconds: 0.5 };
const bossOptions = (m) => ({ connectionString: m.url, schema: m.schema, supervise: false, schedule: false });

const pgboss = {
  async prepare(m) {
    const boss = new PgBoss({ ...bossOptions(m), max: 2 });
    boss.on('error', (e) => process.stderr.write(`pg-boss: ${e.message}\n`));
    await boss.start();
    try {
      await boss.createQueue('bench');
      if (m.scenario === 'throughput') {
        for (const c of chunks(m.keys, 5000)) await boss.insert(c.map((k) => ({ name: 'bench', data: { kind: 'noop', k } })));
      } else if (m.scenario === 'chain') {
        await boss.send('bench', { kind: 'chain', i: 0 });
      } else {
        await boss.getDb().executeSql(`CREATE TABLE ${q(m.schema)}.bench_counter (n int NOT NULL); INSERT INTO ${q(m.schema)}.bench_counter VALUES (0)`);
        await boss.send('bench', { kind: 'fan_first' });
      }
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
    return { pool: new pg.Pool({ connectionString: m.url, max: 1 }) };
  },
  async finished(s, m) {
    const { rows } = await s.pool.query(`SELECT count(*)::int AS n FROM ${q(m.schema)}.job WHERE name = 'bench' AND state <> 'completed'`);
    return rows[0].n === 0;
  },
  async verify(s, m) {
    const { rows } = await s.pool.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'completed')::int AS done, count(*) FILTER (WHERE retry_count > 0)::int AS retried
       FROM ${q(m.schema)}.job WHERE name = 'bench'`,
    );
    const { n, done, retried } = rows[0];
    return n === m.total && done === m.total && retried === 0 ? [] : [`pg-boss jobs: ${n} in all, ${done} completed, ${retried} retried; expected ${m.total} completed once`];
  },
  async cleanup(s) {
    await s.pool?.end();
  },
  async startWorker(m) {
    const boss = new PgBoss(bossOptions(m));
    boss.on('error', (e) => process.stderr.write(`pg-boss: ${e.message}\n`));
    await boss.start();
    const db = boss.getDb();
    const loops = [];
    // Follow-up work enqueued here is fetched at once, not after the polling interval.
    const wake = () => loops.forEach((id) => boss.notifyWorker(id));
    const handle = async (data) => {
      if (data.kind === 'noop') record(data.k);
      else if (data.kind === 'chain') {
        record(`c/s${data.i}`);
        if (data.i + 1 < m.chain) {
          await boss.send('bench', { kind: 'chain', i: data.i + 1 });
          wake();
        }
      } else if (data.kind === 'fan_first') {
        record('f/first');
        await boss.insert(Array.from({ length: m.width }, (_, i) => ({ name: 'bench', data: { kind: 'fan_child', i } })));
        wake();
      } else if (data.kind === 'fan_child') {
        record(`f/s${data.i}`);
        const { rows } = await db.executeSql(`UPDATE ${q(m.schema)}.bench_counter SET n = n + 1 RETURNING n`);
        if (rows[0].n === m.width) {
          await boss.send('bench', { kind: 'fan_join' });
          wake();
        }
      } else if (data.kind === 'fan_join') record('f/join');
    };
    return {
      async go() {
        const opts = { batchSize: PGBOSS.batchSize, pollingIntervalSeconds: PGBOSS.pollingIntervalSeconds };
        for (let i = 0; i < PGBOSS.loops; i++) {
          loops.push(
            await boss.work('bench', opts, async (jobs) => {
              for (const job of jobs) await handle(job.data);
            }),
          );
        }
      },
      async stop() {
        await boss.stop({ graceful: true, wait: true, timeout: 5000 });
      },
    };
  },
};

// ------------------------------------------------------------ BullMQ

export const BULLMQ = { concurrency: 24 };
const redisOptions = (m) => ({ ...m.redis, maxRetriesPerRequest: null });

const bullmq = {
  async prepare(m) {
    const queue = new Queue('bench', { connection: redisOptions(m), prefix: m.prefix });
    if (m.scenario === 'throughput') {
      for (const c of chunks(m.keys, 1000)) await queue.addBulk(c.map((k) => ({ name: 'noop', data: { k } })));
    } else if (m.scenario === 'chain') {
      await queue.add('chain', { i: 0 });
    } else {
      await queue.add('fan_first', {});
    }
    return { queue };
  },
  async finished(s, m) {
    const c = await s.queue.getJobCounts('completed');
    return c.completed >= m.total;
  },
  async verify(s, m) {
    const c = await s.queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children');
    const open = c.failed + c.active + c.wait + c.delayed + c.prioritized + c['waiting-children'];
    return c.completed === m.total && open === 0 ? [] : [`BullMQ job counts ${JSON.stringify(c)}; expected ${m.total} completed and nothing else`];
  },
  async cleanup(s, m) {
    await s.queue?.close();
    const redis = new IORedis(redisOptions(m));
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${m.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  },
  async startWorker(m) {
    const connection = redisOptions(m);
    const queue = new Queue('bench', { connection, prefix: m.prefix });
    const flow = new FlowProducer({ connection, prefix: m.prefix });
    const processor = async (job) => {
      const d = job.data;
      if (job.name === 'noop') record(d.k);
      else if (job.name === 'chain') {
        record(`c/s${d.i}`);
        if (d.i + 1 < m.chain) await queue.add('chain', { i: d.i + 1 });
      } else if (job.name === 'fan_first') {
        record('f/first');
        await flow.add({
          name: 'fan_join',
          queueName: 'bench',
          data: {},
          children: Array.from({ length: m.width }, (_, i) => ({ name: 'fan_child', queueName: 'bench', data: { i } })),
        });
      } else if (job.name === 'fan_child') record(`f/s${d.i}`);
      else if (job.name === 'fan_join') record('f/join');
    };
    const worker = new BullWorker('bench', processor, { connection, prefix: m.prefix, concurrency: BULLMQ.concurrency, autorun: false });
    worker.on('error', (e) => process.stderr.write(`bullmq: ${e.message}\n`));
    await Promise.all([worker.waitUntilReady(), queue.waitUntilReady(), flow.waitUntilReady()]);
    return {
      async go() {
        void worker.run();
      },
      async stop() {
        await worker.close();
        await Promise.all([queue.close(), flow.close()]);
      },
    };
  },
};

export const peers = {
  'graphile-worker (tuned)': graphile(GRAPHILE_TUNED),
  'graphile-worker (batched)': graphile(GRAPHILE_BATCHED),
  'graphile-worker (default)': graphile({}),
  'pg-boss': pgboss,
  BullMQ: bullmq,
};
