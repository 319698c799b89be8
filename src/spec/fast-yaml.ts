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
const MAYBE_NOT_STRING = new Set([...'~nNtTfF-+.0123456789']);
const FORBIDDEN = /[\t\r\0-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff]/;

/** The value of a plain scalar under YAML 1.2's core schema, as `yaml` resolves it. */
export function resolvePlain(s: string): unknown {
  // only these first characters can start a null, a boolean or a number
  if (s !== '' && !MAYBE_NOT_STRING.has(s[0]!)) return s;
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
        const nested = !this.eof && (this.indent > indent || (this.indent === indent && this.isSeqItem()));
        if (kid && nested) kid.value = this.content;
        out[key] = nested ? this.block(this.indent, kid) : null;
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
        const nested = !this.eof && this.indent > indent;
        if (kid && nested) kid.key = kid.value = this.content;
        out.push(nested ? this.block(this.indent, kid) : null);
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
    if (c === '[' || c === '{') {
      const [value, after] = this.flow(p, shadow);
      this.trailer(after);
      return value;
    }
    if (NOT_PLAIN_START.has(c)) bail();
    if ((c === '?' || c === ':' || c === '-') && (p + 1 === this.end || text[p + 1] === ' ')) bail();
    const line = text.slice(p, this.end);
    const hash = line.indexOf(' #');
    const plain = (hash === -1 ? line : line.slice(0, hash)).trimEnd();
    if (plain.includes(': ') || plain.endsWith(':')) bail();
    return resolvePlain(plain);
  }

  /** A flow collection (`[...]` or `{...}`) on one line at p: its value and the offset after it. */
  flow(p: number, shadow: Shadow | undefined): [unknown, number] {
    const text = this.text;
    const isMap = text[p] === '{';
    const close = isMap ? '}' : ']';
    const list: unknown[] = [];
    const map: Record<string, unknown> = {};
    const kids = shadow ? (shadow.kids = new Map()) : undefined;
    let q = this.skipSpaces(p + 1);
    if (text[q] !== close) {
      for (;;) {
        if (q >= this.end) bail();
        const kid: Shadow | undefined = kids ? { key: q, value: q } : undefined;
        let key: string | undefined;
        if (isMap) {
          const [k, after] = this.key(q) ?? bail();
          if (k === '__proto__' || Object.hasOwn(map, k)) bail();
          key = k;
          q = this.skipSpaces(after);
          if (kid) kid.value = q;
        }
        const [value, after] = this.flowItem(q, kid);
        if (key === undefined) {
          kids?.set(list.length, kid!);
          list.push(value);
        } else {
          kids?.set(key, kid!);
          map[key] = value;
        }
        q = this.skipSpaces(after);
        if (text[q] === close) break;
        if (text[q] !== ',') bail();
        q = this.skipSpaces(q + 1);
        if (text[q] === close) bail();
      }
    }
    return [isMap ? map : list, q + 1];
  }

  /** One value inside a flow collection: a nested collection, a quoted or a plain scalar. */
  flowItem(q: number, shadow: Shadow | undefined): [unknown, number] {
    const text = this.text;
    const c = text[q] as string;
    if (c === '[' || c === '{') return this.flow(q, shadow);
    if (c === '"' || c === "'") return this.quoted(q);
    if (NOT_PLAIN_START.has(c) || c === '-' || c === '?' || c === ':') bail();
    let e = q;
    while (e < this.end && text[e] !== ',' && text[e] !== ']' && text[e] !== '}') e++;
    const plain = text.slice(q, e).trimEnd();
    if (/[[\]{}:#]/.test(plain)) bail();
    return [resolvePlain(plain), e];
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
