// Enforces DESIGN.md §2: imports point down. Each layer lists the layers it may
// import; anything else is reported as file:line and fails the check.
// `node scripts/check-layers.mjs --self-test` plants a violation and proves it is caught.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ALLOWED = {
  core: [],
  spec: ['core'],
  store: ['core'],
  engine: ['core', 'store/store'],
  triggers: ['core', 'engine'],
  server: ['core', 'engine', 'triggers'],
  cli: ['core', 'spec', 'store', 'engine', 'triggers', 'server'],
  testing: ['core', 'spec', 'store', 'engine'],
  // The web console runs in the browser and talks to server/ over HTTP only
  // (DESIGN.md §2): it imports nothing of ours outside src/console, not even
  // types (its API shapes are in console/api/types.ts, checked against the
  // real server by the browser tests), so no Node code can reach its bundle.
  console: [],
};
const ROOT_FILES_MAY_IMPORT = ['core', 'spec', 'store', 'engine', 'cli', 'testing'];

function layerOf(rel) {
  const parts = rel.split('/');
  return parts.length === 1 ? '.' : parts[0];
}

function allowed(fromLayer, targetRel) {
  const targetLayer = layerOf(targetRel);
  if (fromLayer === targetLayer) return true;
  if (fromLayer === '.') return ROOT_FILES_MAY_IMPORT.includes(targetLayer);
  const rules = ALLOWED[fromLayer] ?? [];
  const noExt = targetRel.replace(/\.(js|ts)$/, '');
  return rules.some((r) => r === targetLayer || noExt === r || noExt.startsWith(r + '/'));
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if ((p.endsWith('.ts') || p.endsWith('.tsx')) && !p.endsWith('.d.ts')) yield p;
  }
}

export function check(srcDir, extra = []) {
  const problems = [];
  const sources = [...files(srcDir)].map((f) => [f, readFileSync(f, 'utf8')]).concat(extra);
  for (const [file, text] of sources) {
    const rel = relative(srcDir, file);
    const from = layerOf(rel);
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = relative(srcDir, resolve(dirname(file), m[1]));
        if (target.startsWith('..')) continue;
        if (!allowed(from, target)) problems.push(`${relative(process.cwd(), file)}:${i + 1}: ${from}/ may not import ${target} (DESIGN.md §2)`);
      }
    });
  }
  return problems;
}

const src = resolve('src');
if (process.argv.includes('--self-test')) {
  const planted = [[join(src, 'core', 'planted.ts'), "import { SqliteStore } from '../store/sqlite/sqlite-store.js';\n"],
    [join(src, 'engine', 'planted.ts'), "import { SqliteStore } from '../store/sqlite/sqlite-store.js';\n"],
    [join(src, 'console', 'planted.tsx'), "import type { RunRow } from '../store/store.js';\n"]];
  const found = check(src, planted).filter((p) => p.includes('planted.ts'));
  if (found.length !== 3) {
    console.error('layer check self-test FAILED: planted violations not caught', found);
    process.exit(1);
  }
  console.log('layer check self-test: planted violations caught');
} else {
  const problems = check(src);
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exit(1);
  console.log('layers: ok');
}
