import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { countJsonKeys, countValueKeys, scanJson } from '../../src/spec/json-scan.js';
import { shadowOfDocument, type Shadow } from '../../src/spec/source-map.js';
import { mutateText, serialise, validDoc } from './arbitraries.js';

function places(shadow: Shadow | undefined, path = '', out = new Map<string, [number, number]>()): Map<string, [number, number]> {
  for (const [key, kid] of shadow?.kids ?? []) {
    out.set(`${path}/${key}`, [kid.key, kid.value]);
    places(kid, `${path}/${key}`, out);
  }
  return out;
}

describe('JSON scanner', () => {
  it('finds the same key and value positions as the yaml library', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(2), (doc, style) => {
        const text = serialise(doc, 'json', style);
        const scan = scanJson(text);
        expect(scan.errorAt).toBeUndefined();
        expect(places(scan.shadow)).toEqual(places(shadowOfDocument(parseDocument(text))));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects exactly what JSON.parse rejects, and counts keys to spot repeated ones', () => {
    let rejected = 0;
    fc.assert(
      fc.property(validDoc, fc.nat(2), fc.array(mutateText, { minLength: 1, maxLength: 2 }), (doc, style, mutations) => {
        const text = mutations.reduce((t, m) => m(t), serialise(doc, 'json', style));
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          rejected++;
          const at = scanJson(text).errorAt;
          expect(at).toBeGreaterThanOrEqual(0);
          expect(at).toBeLessThanOrEqual(text.length);
          return;
        }
        const scan = scanJson(text);
        expect(scan.errorAt).toBeUndefined();
        // a repeated key drops a key, and with it any keys under the value it replaced
        expect(countJsonKeys(text) === countValueKeys(value)).toBe(scan.duplicates.length === 0);
      }),
      { numRuns: 400 },
    );
    expect(rejected).toBeGreaterThan(100);
  });

  it('reports keys given twice, at the second', () => {
    const text = '{"a": 1, "b": {"x": 1, "x": 2}, "a": 3}';
    expect(scanJson(text).duplicates).toEqual([
      { path: ['b'], key: 'x', at: 23 },
      { path: [], key: 'a', at: 32 },
    ]);
    expect(countJsonKeys(text) - countValueKeys(JSON.parse(text))).toBe(2);
  });

  it.each([
    ['{"a": 1,}', 8],
    ['[1, 2', 5],
    ['{"a": tru}', 6],
    ['{"a": "x\ny"}', 8],
    ['{"a" 1}', 5],
    ['{"a": 01}', 7],
  ])('places the syntax error of %j at %i', (text, at) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(scanJson(text).errorAt).toBe(at);
  });
});
