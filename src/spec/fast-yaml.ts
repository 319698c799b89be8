/**
 * @module spec/fast-yaml
 * A fast reader for the everyday subset of YAML that workflow files use: block
 * mappings and sequences, one-line plain and quoted scalars, one-line flow
 * sequences of scalars, `{}` and comments. It exists because the full `yaml`
 * library needs seconds and gigabytes for a 100,000-task file.
 *
 * It never guesses: on anything outside the subset (anchors, tags, block or
 * multi-line scalars, flow mappings, tabs, duplicate keys, ...) it returns
 * undefined and the caller uses the `yaml` library, which also reports syntax
 * errors. Within the subset it yields exactly what `yaml`'s `parse` yields (a
 * property test holds it to that). With `track`, it also records where each
 * key and value starts, for error positions.
 */

import type { Shadow } from './source-map.js';

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

const PLAIN_KEY = /[A-Za-z0-9_$][A-Za-z0-9_$./-]*/y;
const NOT_PLAIN_START = new Set([...'[]{}&*!|>\'"%@`,#']);
const FORBIDDEN = /[\t\r\0-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff]/;

/** The value of a plain scalar under YAML 1.2's core schema, as `yaml` resolves it. */
export function resolvePlain(s: string): unknown {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(s)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  if (/^0o[0-7]+$|^0x[0-9a-fA-F]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/.test(s)) bail();
  return s;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

class Reader {
  /** Start, content start (after the indentation) and end (before the newline) of the current line. */
  start = 0;
  content = 0;
  end = 0;
  indent = 0;
  eof = false;
  private next = 0;

  constructor(
    readonly text: string,
    readonly track: boolean,
  ) {
    this.advance();
  }

  /** Move to the next line that holds content (not blank, not only a comment). */
  advance(): void {
    const text = this.text;
    while (this.next < text.length) {
      const start = this.next;
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      this.next = end + 1;
      let p = start;
      while (p < end && text.charCodeAt(p) === 32) p++;
      if (p === end || text[p] === '#') continue;
      if (p === start && /^(?:---|\.\.\.)(?:\s|$)|^%/.test(text.slice(start, start + 4))) bail();
      this.start = start;
      this.content = p;
      this.end = end;
      this.indent = p - start;
      return;
    }
    this.eof = true;
  }

  isSeqItem(): boolean {
    const c = this.content;
    return this.text[c] === '-' && (c + 1 === this.end || this.text[c + 1] === ' ');
  }

  block(indent: number, shadow: Shadow | undefined): unknown {
    return this.isSeqItem() ? this.seq(indent, shadow) : this.map(indent, shadow);
  }

  map(indent: number, shadow: Shadow | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const kids = shadow ? (shadow.kids = new Map()) : undefined;
    while (!this.eof && this.indent === indent) {
      if (this.isSeqItem()) bail();
      const keyAt = this.content;
      const [key, after] = this.key(keyAt) ?? bail();
      if (key === '__proto__' || Object.hasOwn(out, key)) bail();
      const p = this.skipSpaces(after);
      const kid: Shadow | undefined = kids ? { key: keyAt, value: keyAt } : undefined;
      if (kids && kid) kids.set(key, kid);
      if (p === this.end || this.text[p] === '#') {
        this.advance();
        if (kid && !this.eof) kid.value = this.content;
        if (!this.eof && this.indent > indent) out[key] = this.block(this.indent, kid);
        else if (!this.eof && this.indent === indent && this.isSeqItem()) out[key] = this.seq(indent, kid);
        else out[key] = null;
      } else {
        if (kid) kid.value = p;
        out[key] = this.inline(p, kid);
        this.advance();
        if (!this.eof && this.indent > indent) bail();
      }
    }
    if (!this.eof && this.indent > indent) bail();
    return out;
  }

  seq(indent: number, shadow: Shadow | undefined): unknown[] {
    const out: unknown[] = [];
    const kids = shadow ? (shadow.kids = new Map()) : undefined;
    while (!this.eof && this.indent === indent && this.isSeqItem()) {
      const p = this.skipSpaces(this.content + 1);
      const kid: Shadow | undefined = kids ? { key: p, value: p } : undefined;
      if (kids && kid) kids.set(out.length, kid);
      if (p === this.end || this.text[p] === '#') {
        this.advance();
        if (kid && !this.eof) kid.key = kid.value = this.content;
        out.push(!this.eof && this.indent > indent ? this.block(this.indent, kid) : null);
      } else if (this.text[p] === '-' && (p + 1 === this.end || this.text[p + 1] === ' ')) {
        bail();
      } else if (this.key(p) !== undefined) {
        this.indent = p - this.start;
        this.content = p;
        out.push(this.map(this.indent, kid));
      } else {
        out.push(this.inline(p, kid));
        this.advance();
        if (!this.eof && this.indent > indent) bail();
      }
    }
    if (!this.eof && this.indent > indent) bail();
    return out;
  }

  /** A mapping key at p: its text and the offset just after its `:`; undefined when p starts no key. */
  key(p: number): [string, number] | undefined {
    const text = this.text;
    let key: string;
    let q: number;
    if (text[p] === '"' || text[p] === "'") {
      [key, q] = this.quoted(p);
    } else {
      PLAIN_KEY.lastIndex = p;
      const m = PLAIN_KEY.exec(text);
      if (!m || m.index + m[0].length > this.end) return undefined;
      key = m[0];
      q = p + key.length;
      if (text[q] === ':' && typeof resolvePlain(key) !== 'string') bail();
    }
    if (text[q] !== ':' || (q + 1 !== this.end && text[q + 1] !== ' ')) return undefined;
    return [key, q + 1];
  }

  /** A value written on one line, starting at p. Leaves the reader on that line. */
  inline(p: number, shadow: Shadow | undefined): unknown {
    const text = this.text;
    const c = text[p] as string;
    if (c === '"' || c === "'") {
      const [value, q] = this.quoted(p);
      this.trailer(q);
      return value;
    }
    if (c === '[') return this.flowSeq(p, shadow);
    if (c === '{') {
      if (text[p + 1] !== '}') bail();
      this.trailer(p + 2);
      return {};
    }
    if (NOT_PLAIN_START.has(c)) bail();
    if ((c === '?' || c === ':' || c === '-') && (p + 1 === this.end || text[p + 1] === ' ')) bail();
    let stop = text.indexOf(' #', p);
    if (stop === -1 || stop > this.end) stop = this.end;
    const plain = text.slice(p, stop).trimEnd();
    if (plain.includes(': ') || plain.endsWith(':')) bail();
    return resolvePlain(plain);
  }

  flowSeq(p: number, shadow: Shadow | undefined): unknown[] {
    const text = this.text;
    const out: unknown[] = [];
    const kids = shadow ? (shadow.kids = new Map()) : undefined;
    let q = this.skipSpaces(p + 1);
    if (text[q] === ']') {
      this.trailer(q + 1);
      return out;
    }
    for (;;) {
      if (q >= this.end) bail();
      kids?.set(out.length, { key: q, value: q });
      const c = text[q] as string;
      if (c === '"' || c === "'") {
        const [value, after] = this.quoted(q);
        out.push(value);
        q = after;
      } else {
        if (NOT_PLAIN_START.has(c) || c === '-' || c === '?' || c === ':') bail();
        let e = q;
        while (e < this.end && text[e] !== ',' && text[e] !== ']') e++;
        const plain = text.slice(q, e).trimEnd();
        if (/[[\]{}:#]/.test(plain)) bail();
        out.push(resolvePlain(plain));
        q = e;
      }
      q = this.skipSpaces(q);
      if (text[q] === ']') break;
      if (text[q] !== ',') bail();
      q = this.skipSpaces(q + 1);
      if (text[q] === ']') bail();
    }
    this.trailer(q + 1);
    return out;
  }

  /** A quoted scalar on one line starting at p: its value and the offset after the closing quote. */
  quoted(p: number): [string, number] {
    const text = this.text;
    const quote = text[p];
    let out = '';
    let from = p + 1;
    for (let q = from; q < this.end; q++) {
      const c = text[q];
      if (quote === "'" && c === "'") {
        out += text.slice(from, q);
        if (text[q + 1] !== "'") return [out, q + 1];
        out += "'";
        from = ++q + 1;
      } else if (quote === '"' && c === '"') {
        return [out + text.slice(from, q), q + 1];
      } else if (quote === '"' && c === '\\') {
        out += text.slice(from, q);
        const e = text[q + 1] ?? '';
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(q + 2, q + 6))) {
          out += String.fromCharCode(parseInt(text.slice(q + 2, q + 6), 16));
          q += 5;
        } else {
          out += ESCAPES[e] ?? bail();
          q += 1;
        }
        from = q + 1;
      }
    }
    return bail();
  }

  /** After a complete value only spaces and a comment may follow on the line. */
  trailer(q: number): void {
    if (q === this.end) return;
    if (this.text[q] !== ' ') bail();
    const p = this.skipSpaces(q);
    if (p !== this.end && this.text[p] !== '#') bail();
  }

  skipSpaces(p: number): number {
    while (p < this.end && this.text.charCodeAt(p) === 32) p++;
    return p;
  }
}

/** The document's value (and, with track, its shadow), or undefined when the text is outside the subset. */
export function parseFastYaml(text: string, track = false): { value: unknown; shadow?: Shadow } | undefined {
  if (FORBIDDEN.test(text)) return undefined;
  try {
    const reader = new Reader(text, track);
    if (reader.eof || reader.indent !== 0) return undefined;
    const shadow: Shadow | undefined = track ? { key: 0, value: reader.content } : undefined;
    const value = reader.block(0, shadow);
    if (!reader.eof) return undefined;
    return shadow ? { value, shadow } : { value };
  } catch (error) {
    if (error instanceof Bail) return undefined;
    throw error;
  }
}
