// Summarize a V8 .cpuprofile (node --cpu-prof): self time by file:function,
// the top N, plus the share of (garbage collector), (program) and (idle).
//
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [N] [--files]
//
// --files adds a second table: self time by file (a native counted as
// `native <- the caller's file`, e.g. SQLite's time under the store's files).
//
// Self time of a node = the time deltas of its samples, summed over every node
// with the same function, file and line. A native function (no file: e.g.
// better-sqlite3's Statement run/get, where SQLite's own time is counted) is
// named with its JavaScript caller, `run <- dist/store/sqlite/journal.js:60
// finish`, so the time of each statement shows where it is issued. Paths are
// shortened relative to the repository (nm/ = node_modules/). Samples under
// node:inspector (the profiler being stopped by bench/code/child.mjs --profile) are left
// out, of the total too.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const byFile = args.includes('--files');
const [file, n = '15'] = args.filter((a) => a !== '--files');
if (!file) {
  process.stderr.write('usage: node bench/cpuprofile-top.mjs FILE.cpuprofile [N]\n');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const underInspector = (id) => {
  for (let p = id; p !== undefined; p = parent.get(p)) if (byId.get(p).callFrame.url === 'node:inspector') return true;
  return false;
};
const self = new Map(); // node id -> µs
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  if (underInspector(id)) continue;
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const short = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(ROOT + '/', '')
    .replace(/^node_modules\//, 'nm/');
const frame = (id) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url ? `${short(url)}:${lineNumber + 1}` : '';
  return { url, label: `${where ? where + ' ' : ''}${functionName || '(anonymous)'}` };
};
const groups = new Map();
const files = new Map();
for (const [id, us] of self) {
  {
    const { url, label } = frame(id);
    let f = url ? short(url) : label.startsWith('(') ? label : 'native';
    if (f === 'native') {
      let p = parent.get(id);
      while (p !== undefined && !frame(p).url) p = parent.get(p);
      if (p !== undefined) f = `native <- ${short(frame(p).url)}`;
    }
    files.set(f, (files.get(f) ?? 0) + us);
  }
  const { url, label } = frame(id);
  let key = label;
  if (!url && !label.startsWith('(')) {
    // A native: name its nearest JavaScript caller.
    let p = parent.get(id);
    while (p !== undefined && !frame(p).url) p = parent.get(p);
    if (p !== undefined) key = `${label} <- ${frame(p).label}`;
  }
  groups.set(key, (groups.get(key) ?? 0) + us);
}
const rows = [...groups].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
console.log(`${file}: ${(total / 1000).toFixed(1)} ms sampled`);
console.log(`${'self ms'.padStart(8)} ${'self %'.padStart(6)}  file:line function`);
for (const [key, us] of rows) console.log(`${ms(us)} ${((100 * us) / total).toFixed(1).padStart(6)}  ${key}`);
if (byFile) {
  console.log(`\n${'self ms'.padStart(8)} ${'self %'.padStart(6)}  file`);
  for (const [f, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${ms(us)} ${((100 * us) / total).toFixed(1).padStart(6)}  ${f}`);
}
