/**
 * @module cli/commands/pool
 * `baton pool list`, `baton pool set NAME SLOTS`, `baton pool rm NAME`: the
 * resource pools tasks take slots of (`pool: db`), kept in the store, so
 * every server and worker sharing it sees the same pools.
 */
import { COMMON_OPTIONS, help, parse } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore } from '../home.js';
import { parsePoolFlags } from '../pools.js';

const SYNOPSIS = 'baton pool list | baton pool set NAME SLOTS | baton pool rm NAME';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS }, SYNOPSIS);
  if (values.help) {
    return help(SYNOPSIS, `Resource pools: a task with "pool: NAME" takes one of the pool's slots while it is ready,
running or retrying; when all are taken it waits, queued (highest priority first, then
oldest). A task of a pool no one defined waits until it is defined.`);
  }
  const [verb = 'list', ...rest] = positionals;
  if (!['list', 'set', 'rm'].includes(verb)) throw new UsageError(`say list, set or rm\nusage: ${SYNOPSIS}`);
  const [pool] = verb === 'set' ? parsePoolFlags([`${rest[0] ?? ''}=${rest[1] ?? ''}`]).map(([name, slots]) => ({ name, slots })) : [];
  if (verb === 'set' && rest.length !== 2) throw new UsageError(`set takes a pool name and a number of slots, like: baton pool set db 2`);
  if (verb === 'rm' && rest.length !== 1) throw new UsageError(`rm takes one pool name\nusage: ${SYNOPSIS}`);
  const store = await openStore(homeDir(values.home), { db: values.db });
  try {
    if (pool) {
      await store.setPool(pool.name, pool.slots);
      process.stdout.write(`pool ${pool.name}: ${pool.slots} slot${pool.slots === 1 ? '' : 's'}\n`);
    } else if (verb === 'rm') {
      await store.setPool(rest[0] as string, null);
      process.stdout.write(`pool ${rest[0]} removed (its queued tasks wait until it is defined again)\n`);
    } else {
      const pools = await store.listPools();
      if (values.json) process.stdout.write(JSON.stringify(pools) + '\n');
      else if (pools.length === 0) process.stdout.write('no pools (baton pool set NAME SLOTS)\n');
      else for (const p of pools) process.stdout.write(`${p.name.padEnd(16)} ${p.slots === null ? 'not defined' : `${p.used}/${p.slots} slots taken`}, ${p.queued} queued\n`);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
