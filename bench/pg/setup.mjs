// What a run of the section needs around it: the peers installed, a database
// of its own, the versions it reports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { DIST, PEERS, PG_URL, REDIS, ROOT, qi, withDatabase } from './common.mjs';

/** Installs bench/peers/node_modules when a pinned peer is missing or of another version. */
export function ensurePeers(log) {
  const want = JSON.parse(readFileSync(join(PEERS, 'package.json'), 'utf8')).dependencies;
  const stale = Object.entries(want).filter(([name, version]) => {
    const file = join(PEERS, 'node_modules', name, 'package.json');
    return !existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).version !== version;
  });
  if (stale.length === 0) return want;
  log(`  installing the peers into bench/peers (${stale.map(([n, v]) => `${n}@${v}`).join(', ')})`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', PEERS, '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`npm install --prefix bench/peers failed (${r.status ?? r.signal}):\n${(r.stderr || r.stdout || '').slice(-2000)}`);
  return want;
}

/** A database for this bench, next to PG_URL's; leftovers of benches that died are dropped first. */
export async function createDatabase() {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'baton_bench_pg_%'`);
    for (const { datname } of rows) {
      const pid = Number(datname.slice('baton_bench_pg_'.length));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        // not running
      }
      if (!alive) await admin.query(`DROP DATABASE IF EXISTS ${qi(datname)} WITH (FORCE)`);
    }
    const name = `baton_bench_pg_${process.pid}`;
    await admin.query(`CREATE DATABASE ${qi(name)}`);
    const [{ server_version: version }] = (await admin.query('SHOW server_version')).rows;
    return {
      url: withDatabase(PG_URL, name),
      version,
      async drop() {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${qi(name)} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  } finally {
    await admin.end();
  }
}

export async function redisVersion() {
  const { default: IORedis } = await import(pathToFileURL(join(PEERS, 'node_modules/ioredis/built/index.js')).href);
  const redis = new IORedis({ ...REDIS, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  } finally {
    redis.disconnect();
  }
}

/** Which baton: the commit, whether the work tree differs from it, and when dist/ was built. */
export function batonVersion() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const rev = git('rev-parse', '--short', 'HEAD') || '?';
  const dirty = git('status', '--porcelain', '--', 'src').length > 0;
  const built = statSync(join(DIST, 'engine/worker.js')).mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `baton ${rev}${dirty ? ' (src/ has uncommitted changes)' : ''}, dist/ built ${built} UTC`;
}
