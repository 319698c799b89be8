import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/spec/suggest.js';

/** The textbook optimal-string-alignment distance, to check the fast one against. */
function reference(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

describe('suggestions', () => {
  it('computes the edit distance, and stops early above a limit', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 9 });
    fc.assert(
      fc.property(word, word, fc.nat(4), (a, b, limit) => {
        const exact = reference(a, b);
        expect(editDistance(a, b)).toBe(exact);
        expect(editDistance(a, b, limit)).toBe(Math.min(exact, limit + 1));
      }),
      { numRuns: 2000 },
    );
  });

  it('suggests the closest candidate within a third of the word', () => {
    expect(didYouMean('dependOn', ['dependsOn', 'retries'])).toBe(' — did you mean "dependsOn"?');
    expect(closest('retires', ['retry', 'retries'])).toBe('retries');
    expect(closest('COMMAND', ['command', 'commands'])).toBe('command');
    expect(closest('cmd', ['command'])).toBeUndefined();
    expect(didYouMean('zzz', ['a'])).toBe('');
  });
});
