/**
 * The console's graph layout (dagre, with our order for large graphs), run
 * in Node: every task placed, dependencies left of their dependents, no two
 * boxes overlapping, every edge drawn with an arrowhead, and the order within
 * ranks crossing fewer edges than the order it starts from.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import { describe, expect, it } from 'vitest';
import { cachedLayout, layoutGraph, NODE_H, NODE_W, type LaidOut } from '../../src/console/graph/graph-layout.js';

type Shape = Array<{ id: string; dependsOn: string[] }>;

/** Layers of `width` tasks, each depending on 2 random tasks of the layer before (the console bench's graph). */
function layered(layers: number, width: number): Shape {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const out: Shape = [];
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const a = rand(width);
      const b = (a + 1 + rand(width - 1)) % width;
      out.push({ id: `t${l}_${i}`, dependsOn: l === 0 ? [] : [`t${l - 1}_${a}`, `t${l - 1}_${b}`] });
    }
  }
  return out;
}

/** Pairs of edges between the same two columns that cross. */
function crossings(shape: Shape, laid: LaidOut): number {
  const byColumn = new Map<number, Array<[number, number]>>();
  for (const n of shape) {
    for (const d of n.dependsOn) {
      const from = laid.nodes.get(d) as { x: number; y: number };
      const to = laid.nodes.get(n.id) as { x: number; y: number };
      const column = byColumn.get(from.x) ?? [];
      column.push([from.y, to.y]);
      byColumn.set(from.x, column);
    }
  }
  let count = 0;
  for (const edges of byColumn.values()) {
    for (let i = 0; i < edges.length; i++) {
      for (let j = i + 1; j < edges.length; j++) {
        const [a, b] = [edges[i] as [number, number], edges[j] as [number, number]];
        if ((a[0] - b[0]) * (a[1] - b[1]) < 0) count++;
      }
    }
  }
  return count;
}

function checkPlaced(shape: Shape, laid: LaidOut): void {
  expect(laid.nodes.size).toBe(shape.length);
  expect(laid.edgeCount).toBe(shape.reduce((n, t) => n + t.dependsOn.length, 0));
  expect(laid.edgePath.split('M').length - 1).toBe(laid.edgeCount);
  expect(laid.arrowPath.split('Z').length - 1).toBe(laid.edgeCount);
  for (const n of shape) {
    const at = laid.nodes.get(n.id) as { x: number; y: number };
    for (const d of n.dependsOn) expect((laid.nodes.get(d) as { x: number }).x + NODE_W).toBeLessThan(at.x);
    expect(at.x + NODE_W).toBeLessThanOrEqual(laid.width);
    expect(at.y + NODE_H).toBeLessThanOrEqual(laid.height);
  }
  const columns = new Map<number, number[]>();
  for (const at of laid.nodes.values()) columns.set(at.x, [...(columns.get(at.x) ?? []), at.y]);
  for (const ys of columns.values()) {
    ys.sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect((ys[i] as number) - (ys[i - 1] as number)).toBeGreaterThanOrEqual(NODE_H);
  }
}

describe('graph layout', () => {
  it('a small graph: dagre in full', () => {
    const shape: Shape = [
      { id: 'greet', dependsOn: [] },
      { id: 'build', dependsOn: ['greet'] },
      { id: 'test', dependsOn: ['greet'] },
      { id: 'ship', dependsOn: ['build', 'test'] },
    ];
    const laid = layoutGraph(shape);
    checkPlaced(shape, laid);
    expect(crossings(shape, laid)).toBe(0);
  });

  it('a 1,000-task graph: every task placed in its layer, with fewer crossings than the first order dagre gives', () => {
    const shape = layered(10, 100);
    const laid = layoutGraph(shape);
    checkPlaced(shape, laid);
    expect(new Set([...laid.nodes.values()].map((p) => p.x)).size).toBe(10);
    // Against dagre's own first order (depth first from the roots), which this layout replaced.
    const g = new graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, ranker: 'longest-path' });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of shape) g.setNode(n.id, { width: NODE_W, height: NODE_H });
    for (const n of shape) for (const d of n.dependsOn) g.setEdge(d, n.id);
    layout(g, { disableOptimalOrderHeuristic: true });
    const first: LaidOut = { ...laid, nodes: new Map(shape.map((n) => [n.id, g.node(n.id) as { x: number; y: number }])) };
    expect(crossings(shape, laid)).toBeLessThan(crossings(shape, first) * 0.98);
  });

  it('a shape laid out again comes from the cache', () => {
    const shape = layered(3, 80);
    expect(cachedLayout(shape)).toBe(cachedLayout(structuredClone(shape)));
  });
});
