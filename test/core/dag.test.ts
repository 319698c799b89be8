import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dependentsOf, findCycle, layers } from '../../src/core/dag.js';

const n = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('findCycle', () => {
  it('finds none in a DAG', () => {
    expect(findCycle([n('a'), n('b', 'a'), n('c', 'a', 'b')])).toBeUndefined();
  });
  it('returns the path of a cycle, closed on its first id, in dependency direction', () => {
    expect(findCycle([n('a', 'c'), n('b', 'a'), n('c', 'b')])).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle([n('x', 'x')])).toEqual(['x', 'x']);
  });
  it('ignores unknown dependencies', () => {
    expect(findCycle([n('a', 'ghost')])).toBeUndefined();
  });
  it('handles a 200,000-deep chain without recursion', () => {
    const chain = Array.from({ length: 200_000 }, (_, i) => n(`t${i}`, ...(i ? [`t${i - 1}`] : [])));
    expect(findCycle(chain)).toBeUndefined();
    chain[0] = n('t0', 't199999');
    expect(findCycle(chain)?.length).toBe(200_001);
  });
  it('agrees with a topological sort on random graphs, and every reported path is a real cycle', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(19), { maxLength: 3 }), { minLength: 1, maxLength: 20 }), (deps) => {
        const nodes = deps.map((d, i) => n(`n${i}`, ...d.filter((x) => x < deps.length).map((x) => `n${x}`)));
        const cycle = findCycle(nodes);
        const sorted = layers(nodes).flat().length === nodes.length;
        expect(cycle === undefined).toBe(sorted);
        if (cycle) {
          expect(cycle[0]).toBe(cycle.at(-1));
          const byId = new Map(nodes.map((x) => [x.id, x]));
          for (let i = 0; i + 1 < cycle.length; i++) expect(byId.get(cycle[i]!)!.dependsOn).toContain(cycle[i + 1]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('layers and dependents', () => {
  it('puts each task one stage after its deepest dependency', () => {
    expect(layers([n('a'), n('b', 'a'), n('c'), n('d', 'b', 'c')])).toEqual([['a', 'c'], ['b'], ['d']]);
  });
  it('lists dependents', () => {
    expect(dependentsOf([n('a'), n('b', 'a'), n('c', 'a')]).get('a')).toEqual(['b', 'c']);
  });
});
