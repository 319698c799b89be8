/**
 * @module console/metrics/prometheus
 * The Prometheus text format (what GET /metrics answers) read into samples,
 * and what the console computes from them: sums over labels, and quantiles
 * of histograms estimated as Prometheus' histogram_quantile does (linear
 * inside the bucket the rank falls in). Imports nothing, so it is unit-tested
 * on its own.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const raw = m[3] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `where`. */
export function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && matches(s, where)) total += s.value;
  return total;
}

/** The distinct values of one label of a metric. */
export function labelValues(samples: Sample[], name: string, label: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name && s.labels[label] !== undefined).map((s) => s.labels[label] as string))].sort();
}

function matches(s: Sample, where: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(where)) if (s.labels[k] !== v) return false;
  return true;
}

/**
 * The q-quantile (0-1) of a histogram `name` (its `_bucket` series, summed
 * over the labels not in `where`), or undefined when it has no observations.
 * Like histogram_quantile: linear within the bucket; in the +Inf bucket, the
 * highest finite bound.
 */
export function quantile(samples: Sample[], name: string, q: number, where: Record<string, string> = {}): number | undefined {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !matches(s, where)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      const inBucket = count - prevCount;
      return inBucket === 0 ? bound : prevBound + ((bound - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}
