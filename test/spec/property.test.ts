import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../src/core/errors.js';
import { loadWorkflowText } from '../../src/spec/index.js';
import { breakDoc, mutateText, serialise, validDoc, type Format } from './arbitraries.js';

const FILES: Record<Format, string[]> = { json: ['wf.json', 'wf.txt'], yaml: ['wf.yaml', 'wf.yml', 'wf'] };

/** Every problem sits inside the text: a real line, a column within it (or just past its end). */
function expectPlaced(problems: Problem[], text: string, file: string): void {
  const lines = text.split('\n');
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(lines.length);
    expect(p.col).toBeGreaterThanOrEqual(1);
    expect(p.col).toBeLessThanOrEqual(lines[p.line - 1]!.length + 1);
    expect(p.message).not.toMatch(/\n\s+at /);
    expect(p.message.length).toBeGreaterThan(0);
  }
}

const format = fc.constantFrom<Format>('json', 'yaml');

describe('any document, however mangled', () => {
  it('loads valid documents in every form, format and style', () => {
    fc.assert(
      fc.property(validDoc, format, fc.nat(9), fc.nat(2), (doc, f, style, pick) => {
        const file = FILES[f][pick % FILES[f].length]!;
        const result = loadWorkflowText(serialise(doc, f, style), file);
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated text, and places every problem inside the text', () => {
    fc.assert(
      fc.property(validDoc, format, fc.nat(9), fc.nat(2), fc.array(mutateText, { minLength: 1, maxLength: 3 }), (doc, f, style, pick, mutations) => {
        const file = FILES[f][pick % FILES[f].length]!;
        const text = mutations.reduce((t, m) => m(t), serialise(doc, f, style));
        const result = loadWorkflowText(text, file);
        if (!result.ok) expectPlaced(result.problems, text, file);
      }),
      { numRuns: 700 },
    );
  });

  it('refuses broken documents (renamed keys, wrong types, cycles, unknown deps), with placed problems', () => {
    fc.assert(
      fc.property(validDoc, breakDoc, format, fc.nat(9), (doc, mutate, f, style) => {
        const text = serialise(mutate(doc), f, style);
        const result = loadWorkflowText(text, FILES[f][0]!);
        expect(result.ok).toBe(false);
        if (!result.ok) expectPlaced(result.problems, text, FILES[f][0]!);
      }),
      { numRuns: 300 },
    );
  });
});
