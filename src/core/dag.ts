/**
 * @module core/dag
 * Graph facts about a set of tasks, each computed in linear time: cycles (with
 * their path), a topological order, dependents lists and layers for display.
 */

export interface Node {
  id: string;
  dependsOn: readonly string[];
}

/**
 * The first cycle found, as a path that starts and ends on the same id
 * (`['a', 'b', 'c', 'a']`), or undefined for an acyclic graph. Unknown
 * dependencies are ignored here; they are reported elsewhere.
 * Iterative depth-first search: no recursion limit on a deep chain.
 */
export function findCycle(nodes: readonly Node[]): string[] | undefined {
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  // 0 = unvisited, 1 = on the current path, 2 = done
  const state = new Uint8Array(nodes.length);
  const parent = new Int32Array(nodes.length).fill(-1);
  const cursor = new Uint32Array(nodes.length);

  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== 0) continue;
    const stack = [root];
    state[root] = 1;
    while (stack.length > 0) {
      const at = stack[stack.length - 1] as number;
      const deps = (nodes[at] as Node).dependsOn;
      const c = cursor[at] as number;
      if (c < deps.length) {
        cursor[at] = c + 1;
        const next = index.get(deps[c] as string);
        if (next === undefined) continue;
        if (state[next] === 1) return cyclePath(nodes, parent, at, next);
        if (state[next] === 0) {
          state[next] = 1;
          parent[next] = at;
          stack.push(next);
        }
      } else {
        state[at] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}

/** Edges point from a task to what it depends on; print the cycle in that direction. */
function cyclePath(nodes: readonly Node[], parent: Int32Array, from: number, to: number): string[] {
  const path: string[] = [];
  for (let at = from; at !== to; at = parent[at] as number) path.push((nodes[at] as Node).id);
  path.push((nodes[to] as Node).id);
  path.reverse();
  path.push((nodes[to] as Node).id);
  return path;
}

/** For each id, the ids that depend on it. */
export function dependentsOf(nodes: readonly Node[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n.id, []);
  for (const n of nodes) {
    for (const d of n.dependsOn) out.get(d)?.push(n.id);
  }
  return out;
}

/**
 * Layers by longest distance from a root (Kahn's algorithm): layer 0 has no
 * dependencies. Assumes an acyclic graph with known dependencies.
 */
export function layers(nodes: readonly Node[]): string[][] {
  const dependents = dependentsOf(nodes);
  const unmet = new Map<string, number>();
  const depth = new Map<string, number>();
  const queue: string[] = [];
  for (const n of nodes) {
    unmet.set(n.id, n.dependsOn.length);
    if (n.dependsOn.length === 0) {
      queue.push(n.id);
      depth.set(n.id, 0);
    }
  }
  const result: string[][] = [];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    const d = depth.get(id) as number;
    (result[d] ??= []).push(id);
    for (const next of dependents.get(id) ?? []) {
      depth.set(next, Math.max(depth.get(next) ?? 0, d + 1));
      const left = (unmet.get(next) as number) - 1;
      unmet.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return result;
}
