import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.js';
import { parseTemplate, renderTemplate, shellQuote, valueToText, type ExprContext } from '../../src/spec/index.js';

const ctx: ExprContext = {
  inputs: { env: 'prod', n: 3, flag: true, list: ['a', 'b'], nothing: null },
  env: {},
  secrets: {},
  tasks: { build: { status: 'succeeded', outputs: { v: "it's $(rm -rf ~)" } } },
};

/** What /bin/sh prints for `printf %s <word>`: the bytes the word stands for. */
function shellPrints(word: string, cwd?: string): Buffer {
  const result = spawnSync('/bin/sh', ['-c', `printf %s ${word}`], { cwd });
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('parseTemplate', () => {
  it('splits literals and expressions, with where each expression starts', () => {
    expect(parseTemplate('echo ${{ inputs.env }}-${{"}}"}}!')).toEqual([
      { kind: 'literal', text: 'echo ' },
      { kind: 'expression', source: ' inputs.env ', offset: 8, start: 5 },
      { kind: 'literal', text: '-' },
      { kind: 'expression', source: '"}}"', offset: 26, start: 23 },
      { kind: 'literal', text: '!' },
    ]);
    expect(parseTemplate('plain $HOME {{x}} $')).toEqual([{ kind: 'literal', text: 'plain $HOME {{x}} $' }]);
  });

  it('throws on an unclosed ${{', () => {
    expect(() => parseTemplate('echo ${{ inputs.env')).toThrow(BatonError);
  });
});

describe('renderTemplate', () => {
  it('quotes each value for the shell, or leaves it raw', () => {
    const template = 'deploy ${{ inputs.env }} ${{ inputs.n + 1 }} ${{ inputs.flag }} ${{ inputs.list }} ${{ inputs.nothing }} ${{ tasks.build.outputs.v }}';
    expect(renderTemplate(template, ctx, 'shell')).toBe(`deploy 'prod' '4' 'true' '["a","b"]' '' 'it'\\''s $(rm -rf ~)'`);
    expect(renderTemplate(template, ctx, 'raw')).toBe(`deploy prod 4 true ["a","b"]  it's $(rm -rf ~)`);
    expect(renderTemplate('no expressions', ctx, 'shell')).toBe('no expressions');
  });

  it('turns values into text', () => {
    expect([valueToText('x'), valueToText(1.5), valueToText(false), valueToText(null), valueToText(undefined), valueToText({ a: [1] })]).toEqual(['x', '1.5', 'false', '', '', '{"a":[1]}']);
  });

  it('keeps a hostile value away from the shell parser', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-quote-'));
    try {
      const hostile = { ...ctx, inputs: { x: '$(touch pwned); `touch pwned2` && touch pwned3 \'"' } };
      const command = renderTemplate('printf %s ${{ inputs.x }}', hostile, 'shell');
      const result = spawnSync('/bin/sh', ['-c', command], { cwd: dir });
      expect(result.stdout.toString()).toBe(hostile.inputs.x);
      expect(['pwned', 'pwned2', 'pwned3'].map((f) => existsSync(join(dir, f)))).toEqual([false, false, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shellQuote', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-quote-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the empty string and quotes as the shell expects', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it.each([
    ['empty', ''],
    ['command substitution', '$(touch X)'],
    ['backticks', '`touch X`'],
    ['separators', 'a; b && c || d | e & f'],
    ['quotes', `'"'"''""\\'`],
    ['newlines', 'line 1\nline 2\r\n\n'],
    ['variables and globs', '$HOME ${PATH} * ? [a] ~ $1 $@ $$'],
    ['unicode', 'é ☃ 𝄞 日本 \u200b'],
    ['backslashes', '\\n \\\\ \\'],
    ['dashes', '-n --help -'],
    ['percent', '%s %d %%'],
  ])('gives /bin/sh back %s byte for byte', (_name, s) => {
    expect(shellPrints(shellQuote(s), dir)).toEqual(Buffer.from(s, 'utf8'));
    expect(existsSync(join(dir, 'X'))).toBe(false);
  });

  it('gives /bin/sh back any string byte for byte (200 generated)', () => {
    // NUL cannot be in an argument and lone surrogates have no UTF-8 form: neither can reach a shell.
    const text = fc
      .oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom(...'\'"`$\\;&|<>(){}[]*?~!#\n\t %-'.split('')), maxLength: 30 }))
      .filter((s) => !s.includes('\0') && !/\p{Surrogate}/u.test(s));
    fc.assert(
      fc.property(text, (s) => {
        expect(shellPrints(shellQuote(s), dir)).toEqual(Buffer.from(s, 'utf8'));
      }),
      { numRuns: 200 },
    );
    expect(existsSync(join(dir, 'X'))).toBe(false);
  });
});
