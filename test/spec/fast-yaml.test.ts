import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML, { parseDocument } from 'yaml';
import { parseFastYaml } from '../../src/spec/fast-yaml.js';
import { shadowOfDocument, type Shadow } from '../../src/spec/source-map.js';
import { mutateText, serialise, validDoc } from './arbitraries.js';

// Hand-shaped YAML: block trees of tricky scalars and keys, with random indentation and comments.
const frag = fc.constantFrom('a', 'b', '"q"', "'s'", '1', '-1', '0.5', '1e3', 'null', '~', 'true', 'x y', 'a#b', 'a #c', '[a, b]', '[]', '{}', '"a\\"b"', "'it''s'", '', 'é', '𝄞', '.5', '+1', '1.', '$x', '${{ a }}', 'http://x', 'a:b', '[ "x", 1 , y ]', '-x', '"\\u00e9\\t"', "'a # b'", '[a,b]', '[a ,b]', '{ a: 1, b: [x, "y"] }', '{a: b}', '{ "k": v }', '{a: {b: c}}', '[{a: 1}, [b]]', '{ a: 1, }', '{a: b, a: c}', '{ url: http://x }', '{ k: ${{ x }} }', '007', '1_000', 'Yes', 'NO', 'True', 'FALSE', '- x');
const keyA = fc.constantFrom('a', 'b', 'k1', 'x.y', 'a-b', '"q k"', "'s'", 'on', 'yes', 'null', 'n0', '_', '$d', 'a/b');
type T = { m: [string, T][] } | { s: T[] } | { v: string };
const tree: fc.Arbitrary<T> = fc.letrec<{ t: T }>((tie) => ({
  t: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    frag.map((v) => ({ v })),
    fc.array(fc.tuple(keyA, tie('t')), { minLength: 1, maxLength: 4 }).map((m) => ({ m })),
    fc.array(tie('t'), { minLength: 1, maxLength: 4 }).map((s) => ({ s }))),
})).t;
function render(t: T, indent: number, seqSame: boolean, step: number): string[] {
  const pad = ' '.repeat(indent);
  if ('v' in t) return [pad + t.v];
  if ('m' in t) return t.m.flatMap(([k, v]) => {
    if ('v' in v) return [`${pad}${k}: ${v.v}`];
    if ('s' in v && seqSame) return [`${pad}${k}:`, ...render(v, indent, seqSame, step)];
    return [`${pad}${k}:`, ...render(v, indent + step, seqSame, step)];
  });
  return t.s.flatMap((v) => {
    if ('v' in v) return [`${pad}- ${v.v}`];
    const inner = render(v, indent + 2, seqSame, step);
    if ('m' in v) return [`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1)];
    return [`${pad}-`, ...inner];
  });
}

/** Offsets of every non-null value and every key, by path, to compare two shadows. */
function places(shadow: Shadow | undefined, value: unknown, path = '', out = new Map<string, number[]>()): Map<string, number[]> {
  if (!shadow) return out;
  for (const [key, kid] of shadow.kids ?? []) {
    const child = (value as Record<string | number, unknown>)[key];
    const p = `${path}/${key}`;
    out.set(p, child === null ? [kid.key] : [kid.key, kid.value]);
    places(kid, child, p, out);
  }
  return out;
}

describe('fast YAML reader', () => {
  it('reads the everyday subset exactly as the yaml library does', () => {
    const text = [
      '# a comment',
      'name: release   # trailing comment',
      'n: 12',
      'f: -1.5e3',
      'b: True',
      'z: ~',
      'empty:',
      's: "a \\"quoted\\" \\u00e9 \\n string"',
      "q: 'it''s'",
      'flow: [a, "b c", 3, true]',
      'none: []',
      'map: {}',
      'inline: { default: staging, enum: [staging, prod], n: { x: 1.5 }, "q k": \'v\' }',
      'hash: a#b',
      'url: http://x/y?z=1',
      'cmd: echo ${{ inputs.env }} && echo "$HOME"',
      'tasks:',
      '- id: a',
      '  dependsOn:',
      '    - b',
      '  env: { }',
      '-',
      '  - nested',
      '- plain item',
      'nested:',
      '  deeper:',
      '      x: 1',
      '  y: 2',
      '',
    ].join('\n');
    const fast = parseFastYaml(text.replace('env: { }', 'env: {}'));
    expect(fast).toBeDefined();
    expect(fast!.value).toEqual(YAML.parse(text.replace('env: { }', 'env: {}')));
  });

  it.each([
    ['anchors', 'a: &x 1\nb: *x\n'],
    ['block scalars', 'a: |\n  line\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['tabs', 'a:\tb\n'],
    ['multi-line flow collections', 'a: {b: 1,\n  c: 2}\n'],
    ['flow mappings with plain keys it does not know', 'a: {b c: 1}\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['documents markers', '---\na: 1\n'],
    ['tags', 'a: !!str 1\n'],
    ['hex numbers', 'a: 0x1f\n'],
    ['a scalar document', 'hello\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
  ])('leaves %s to the yaml library', (_name, text) => {
    expect(parseFastYaml(text)).toBeUndefined();
  });

  it('agrees with the yaml library on generated and mutated documents, values and positions', () => {
    let fastCount = 0;
    fc.assert(
      fc.property(validDoc, fc.nat(9), fc.array(mutateText, { maxLength: 2 }), (doc, style, mutations) => {
        const text = mutations.reduce((t, m) => m(t), serialise(doc, 'yaml', style));
        const fast = parseFastYaml(text, true);
        if (!fast) return;
        fastCount++;
        const document = parseDocument(text, { prettyErrors: false });
        expect(document.errors).toEqual([]);
        expect(fast.value).toEqual(document.toJS());
        expect(places(fast.shadow, fast.value)).toEqual(places(shadowOfDocument(document), fast.value));
      }),
      { numRuns: 600 },
    );
    expect(fastCount).toBeGreaterThan(100);
  });

  it('agrees with the yaml library on hand-shaped block documents', () => {
    let fast = 0;
    fc.assert(
      fc.property(tree, fc.boolean(), fc.constantFrom(1, 2, 3, 4), fc.constantFrom('', '# c', '  # c'), (t, same, step, comment) => {
        const lines = render(t, 0, same, step);
        const text = lines.map((l, i) => (i % 3 === 1 && comment ? `${l} ${comment}` : l)).join('\n') + '\n';
        const r = parseFastYaml(text, true);
        if (!r) return;
        fast++;
        const document = parseDocument(text, { prettyErrors: false });
        expect(document.errors.map((e) => e.message), text).toEqual([]);
        expect(r.value, text).toEqual(document.toJS());
        expect(places(r.shadow, r.value)).toEqual(places(shadowOfDocument(document), r.value));
      }),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(500);
  });
});
