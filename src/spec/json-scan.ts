/**
 * @module spec/json-scan
 * A strict JSON scanner that builds no values, only positions: the shadow of
 * the document (offsets of each key and value), the offset of the first syntax
 * error (JSON.parse's messages often lack it) and keys repeated in one object
 * (JSON.parse silently keeps the last).
 */

import type { PathItem, Shadow } from './source-map.js';

export interface JsonScan {
  shadow?: Shadow;
  /** Offset of the first character that is not valid JSON. */
  errorAt?: number;
  /** Keys given twice in one object: path of the object and offset of the second key. */
  duplicates: { path: PathItem[]; key: string; at: number }[];
}

class SyntaxStop extends Error {
  constructor(readonly at: number) {
    super('json syntax');
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;

export function scanJson(text: string): JsonScan {
  const duplicates: JsonScan['duplicates'] = [];
  const path: PathItem[] = [];
  let p = 0;

  const fail = (at = p): never => {
    throw new SyntaxStop(at);
  };
  const space = (): void => {
    for (let c = text.charCodeAt(p); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++p));
  };
  const string = (): string => {
    const start = p++;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(p);
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        const e = text[p + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) fail(p + 1);
          p += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') p += 2;
        else fail(p + 1);
      } else p++;
    }
    p++;
    return escaped ? (JSON.parse(text.slice(start, p)) as string) : text.slice(start + 1, p - 1);
  };
  const value = (shadow: Shadow): void => {
    space();
    shadow.value = p;
    const c = text[p];
    if (c === '{') {
      const kids = (shadow.kids = new Map<PathItem, Shadow>());
      p++;
      space();
      if (text[p] === '}') {
        p++;
        return;
      }
      for (;;) {
        space();
        if (text[p] !== '"') fail();
        const keyAt = p;
        const key = string();
        if (kids.has(key)) duplicates.push({ path: [...path], key, at: keyAt });
        space();
        if (text[p] !== ':') fail();
        p++;
        const kid: Shadow = { key: keyAt, value: keyAt };
        kids.set(key, kid);
        path.push(key);
        value(kid);
        path.pop();
        space();
        if (text[p] === '}') break;
        if (text[p] !== ',') fail();
        p++;
      }
      p++;
    } else if (c === '[') {
      const kids = (shadow.kids = new Map<PathItem, Shadow>());
      p++;
      space();
      if (text[p] === ']') {
        p++;
        return;
      }
      for (let i = 0; ; i++) {
        space();
        const kid: Shadow = { key: p, value: p };
        kids.set(i, kid);
        path.push(i);
        value(kid);
        path.pop();
        kid.key = kid.value;
        space();
        if (text[p] === ']') break;
        if (text[p] !== ',') fail();
        p++;
      }
      p++;
    } else if (c === '"') {
      string();
    } else if (text.startsWith('true', p)) p += 4;
    else if (text.startsWith('false', p)) p += 5;
    else if (text.startsWith('null', p)) p += 4;
    else {
      NUMBER.lastIndex = p;
      const m = NUMBER.exec(text);
      if (!m) fail();
      p += m![0].length;
    }
  };

  try {
    const shadow: Shadow = { key: 0, value: 0 };
    value(shadow);
    space();
    if (p < text.length) fail();
    return { shadow, duplicates };
  } catch (error) {
    if (error instanceof SyntaxStop) return { errorAt: error.at, duplicates };
    if (error instanceof RangeError) return { duplicates }; // nested too deep to scan: no positions
    throw error;
  }
}

/** How many object keys a valid JSON text holds (strings followed by `:`), without building anything. */
export function countJsonKeys(text: string): number {
  let count = 0;
  let p = text.indexOf('"');
  while (p !== -1) {
    let q = p + 1;
    for (;;) {
      q = text.indexOf('"', q);
      if (q === -1) return count;
      let b = q - 1;
      while (text.charCodeAt(b) === 92) b--;
      if ((q - 1 - b) % 2 === 0) break;
      q++;
    }
    let r = q + 1;
    for (let c = text.charCodeAt(r); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++r));
    if (text.charCodeAt(r) === 58) count++;
    p = text.indexOf('"', r);
  }
  return count;
}

/** How many keys the objects of a parsed value hold, all levels. */
export function countValueKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countValueKeys(item);
    return count;
  }
  for (const key in value) {
    count += 1 + countValueKeys((value as Record<string, unknown>)[key]);
  }
  return count;
}
