/**
 * @module console/graph/graph-layout
 * A task graph laid out left to right by dagre (a maintained layered-graph
 * layout): node positions and edge paths. Depends only on the graph's shape,
 * so a caller keeps it while only statuses change.
 */
import { graphlib, layout } from '@dagrejs/dagre';

export const NODE_W = 168;
export const NODE_H = 46;

export interface LaidOut {
  width: number;
  height: number;
  nodes: Map<string, { x: number; y: number }>;
  /** Every edge as one path (one SVG element however many edges), and their arrowheads as another. */
  edgePath: string;
  arrowPath: string;
  edgeCount: number;
}

/**
 * Past this many tasks, a quicker layout, still dagre's: ranks are the
 * longest path instead of its network simplex (tighter edges, but 13 s on
 * 1,000 tasks), and the order within ranks is barycentre sweeps on arrays
 * (`quickOrder`, dagre's documented `customOrder` hook) instead of its
 * first order (with its optimal-order sweeps off, dagre still builds the layer
 * graphs they use: an eighth of the layout, for nothing).
 */
const QUICK_FROM = 200;

type Shape = ReadonlyArray<{ id: string; dependsOn: readonly string[] }>;

/** Layouts of the last few shapes: the graph tab shown again, or a run of a workflow just looked at, is drawn at once. */
const recent = new Map<string, LaidOut>();
const RECENT = 6;

export function shapeKey(nodes: Shape): string {
  return nodes.map((n) => `${n.id}<${n.dependsOn.join(',')}`).join('\n');
}

export function cachedLayout(nodes: Shape, key = shapeKey(nodes)): LaidOut {
  const hit = recent.get(key);
  if (hit) {
    recent.delete(key);
    recent.set(key, hit);
    return hit;
  }
  const laid = layoutGraph(nodes);
  recent.set(key, laid);
  if (recent.size > RECENT) recent.delete(recent.keys().next().value as string);
  return laid;
}

export function layoutGraph(nodes: Shape): LaidOut {
  const g = new graphlib.Graph();
  const quick = nodes.length > QUICK_FROM;
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 8, marginy: 8, ranker: quick ? 'longest-path' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const n of nodes) for (const d of n.dependsOn) if (ids.has(d)) g.setEdge(d, n.id);
  const started = performance.now();
  layout(g, quick ? { customOrder: quickOrder } : {});
  // Read by bench/console.mjs (the layout's share of drawing a large graph).
  performance.measure('baton:layout', { start: started, detail: { tasks: nodes.length } });
  const placed = new Map<string, { x: number; y: number }>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    placed.set(id, { x: n.x - NODE_W / 2, y: n.y - NODE_H / 2 });
  }
  const lines: string[] = [];
  const arrows: string[] = [];
  const edges = g.edges();
  for (const e of edges) {
    const points: Array<{ x: number; y: number }> = g.edge(e).points ?? [];
    lines.push(points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(''));
    const tip = points.at(-1);
    const from = points.at(-2);
    if (tip && from) arrows.push(arrowhead(from, tip));
  }
  const label = g.graph();
  return { width: Math.ceil(label.width ?? 0), height: Math.ceil(label.height ?? 0), nodes: placed, edgePath: lines.join(''), arrowPath: arrows.join(''), edgeCount: edges.length };
}

/** A filled triangle 8 px long and 7 px wide whose tip is at `tip`, pointing away from `from`. */
function arrowhead(from: { x: number; y: number }, tip: { x: number; y: number }): string {
  const dx = tip.x - from.x;
  const dy = tip.y - from.y;
  const len = Math.hypot(dx, dy) || 1;
  const [ux, uy] = [dx / len, dy / len];
  const [bx, by] = [tip.x - ux * 8, tip.y - uy * 8];
  const f = (n: number) => n.toFixed(1);
  return `M${f(tip.x)},${f(tip.y)}L${f(bx - uy * 3.5)},${f(by + ux * 3.5)}L${f(bx + uy * 3.5)},${f(by - ux * 3.5)}Z`;
}

/**
 * Order within ranks for a large graph: depth first from the roots (as
 * dagre's first order), then four barycentre sweeps (down, up, down, up),
 * each a node's place the mean of its neighbours' in the rank before. Linear
 * per sweep, on arrays; dagre gives every edge one rank to span (dummy
 * nodes), so neighbours are always in the next rank.
 */
function quickOrder(graph: graphlib.Graph): void {
  const ids: string[] = graph.nodes();
  const index = new Map(ids.map((v, i) => [v, i]));
  const rank = ids.map((v) => (graph.node(v) as { rank: number }).rank);
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  for (const e of graph.edges()) {
    const from = index.get(e.v) as number;
    const to = index.get(e.w) as number;
    succs[from]?.push(to);
    preds[to]?.push(from);
  }
  const layers: number[][] = Array.from({ length: Math.max(0, ...rank) + 1 }, () => []);
  const seen = new Uint8Array(ids.length);
  const byRank = ids.map((_, i) => i).sort((a, b) => (rank[a] as number) - (rank[b] as number));
  for (const root of byRank) {
    const stack = [root];
    while (stack.length > 0) {
      const v = stack.pop() as number;
      if (seen[v]) continue;
      seen[v] = 1;
      layers[rank[v] as number]?.push(v);
      const next = succs[v] as number[];
      for (let k = next.length - 1; k >= 0; k--) if (!seen[next[k] as number]) stack.push(next[k] as number);
    }
  }
  const pos = new Float64Array(ids.length);
  const bary = new Float64Array(ids.length);
  const place = (layer: number[]) => layer.forEach((v, i) => (pos[v] = i));
  layers.forEach(place);
  const sweep = (layer: number[], neighbours: number[][]) => {
    for (const v of layer) {
      const ns = neighbours[v] as number[];
      let sum = 0;
      for (const n of ns) sum += pos[n] as number;
      bary[v] = ns.length > 0 ? sum / ns.length : (pos[v] as number);
    }
    layer.sort((a, b) => (bary[a] as number) - (bary[b] as number) || (pos[a] as number) - (pos[b] as number));
    place(layer);
  };
  for (let pass = 0; pass < 4; pass++) {
    if (pass % 2 === 0) for (let r = 1; r < layers.length; r++) sweep(layers[r] as number[], preds);
    else for (let r = layers.length - 2; r >= 0; r--) sweep(layers[r] as number[], succs);
  }
  ids.forEach((v, i) => ((graph.node(v) as { order: number }).order = pos[i] as number));
}
