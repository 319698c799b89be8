// A variant of the store's round-trip function, for measuring what a part of
// it costs: printed as SQL to run in a bench schema after the migrations
// (`node bench/pg/hop.mjs --sql FILE`, `node bench/pg.mjs run ... --function FILE`).
//
//   node bench/pg/variant.mjs no-history > /tmp/no-history.sql
//
// no-history: baton_step_batch, as the latest migration defines it, with
// every write of history left out (attempt rows inserted, finished or
// deleted, and step events): what a hop and a step would cost with none.
// A measurement only; the store never runs without its history. Fails if
// the function no longer has the writes it expects, rather than print the
// function unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.mjs';

const MIGRATIONS = join(ROOT, 'src/store/postgres/migrations');

function latestStepBatch() {
  const files = readdirSync(MIGRATIONS).filter((f) => /^\d+_.*\.sql$/.test(f)).sort().reverse();
  for (const f of files) {
    const text = readFileSync(join(MIGRATIONS, f), 'utf8');
    const start = text.search(/CREATE (OR REPLACE )?FUNCTION baton_step_batch\(/);
    if (start >= 0) return { file: f, sql: text.slice(start, text.indexOf('$$;', start) + 3) };
  }
  throw new Error(`no migration in ${MIGRATIONS} defines baton_step_batch`);
}

/** Each `name AS (INSERT INTO events|attempts ... | UPDATE/DELETE attempts ...)` CTE becomes `name AS (SELECT 1)`. */
function dropHistoryCtes(sql) {
  const cte = /(\w+) AS \(\s*(?:INSERT INTO (?:events|attempts)|UPDATE attempts|DELETE FROM attempts)/g;
  let out = '';
  let from = 0;
  let n = 0;
  for (let m = cte.exec(sql); m; m = cte.exec(sql)) {
    let depth = 0;
    let i = sql.indexOf('(', m.index);
    for (; i < sql.length; i++) {
      if (sql[i] === '(') depth++;
      else if (sql[i] === ')' && --depth === 0) break;
    }
    out += `${sql.slice(from, m.index)}${m[1]} AS (SELECT 1)`;
    from = i + 1;
    cte.lastIndex = from;
    n++;
  }
  return { sql: out + sql.slice(from), n };
}

function noHistory() {
  const { file, sql } = latestStepBatch();
  const ctes = dropHistoryCtes(sql);
  // What is left are plain statements (one step's fast path): each ends at its semicolon.
  let plain = 0;
  const out = ctes.sql.replace(/\n[ \t]*(?:INSERT INTO events|UPDATE attempts)\b[^;]*;/g, () => {
    plain++;
    return '';
  });
  if (ctes.n < 6 || plain < 2 || /\b(events|attempts)\b/.test(out.slice(out.indexOf('AS $$')))) {
    throw new Error(`baton_step_batch of ${file} is not shaped as expected (${ctes.n} history CTEs, ${plain} plain history statements dropped): update bench/pg/variant.mjs`);
  }
  return `-- baton_step_batch of ${file} with no history written (bench/pg/variant.mjs no-history; a measurement only)\n${out}\n`;
}

const VARIANTS = { 'no-history': noHistory };
const name = process.argv[2];
if (!VARIANTS[name]) {
  process.stderr.write(`usage: node bench/pg/variant.mjs ${Object.keys(VARIANTS).join('|')} > FILE.sql\n`);
  process.exit(2);
}
process.stdout.write(VARIANTS[name]());
