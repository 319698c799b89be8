/**
 * @module spec/source-map
 * Where things are in a workflow file's text. A `Shadow` mirrors the parsed
 * value's tree with the offset of each key and value; it is built only when
 * there are problems to place (from a `yaml` Document, the fast YAML reader or
 * the JSON scanner) and turns a problem's path into `line:col`.
 */

import type { Document, Node as YamlNode } from 'yaml';
import { yamlLib } from './yaml-lib.js';

export type PathItem = string | number;
export type Path = readonly PathItem[];

/** Offsets of a key (the item itself for list items) and of its value, with the children of a collection. */
export interface Shadow {
  key: number;
  value: number;
  kids?: Map<PathItem, Shadow>;
}

/** 1-based line and column of text offsets; the line index is built once. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  at(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - this.starts[lo]! + 1 };
  }
}

/**
 * The offset for a path: the key of a mapping entry (`at: 'key'`) or its value,
 * or, when the path goes deeper than the text (a missing key), its deepest
 * existing ancestor's value. `inString` moves inside a string value to a
 * character of it (an expression), when the value is written plainly enough
 * for the offset to be exact; otherwise the value's start is used.
 */
export function offsetOf(text: string, root: Shadow, path: Path, at: 'key' | 'value', value: unknown, inString?: number): number {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const next = node.kids?.get(path[i]!);
    if (!next) return node.value;
    node = next;
  }
  if (at === 'key') return node.key;
  if (inString === undefined || typeof value !== 'string') return node.value;
  const start = node.value;
  if (text.startsWith(value, start)) return start + inString;
  const quote = text[start];
  if ((quote === '"' || quote === "'") && text.startsWith(value, start + 1)) return start + 1 + inString;
  return start;
}

/** The shadow of a `yaml` Document (used for files outside the fast reader's subset). */
export function shadowOfDocument(doc: Document): Shadow {
  const root: Shadow = { key: 0, value: 0 };
  if (doc.contents) fill(doc.contents, root);
  return root;
}

function fill(node: YamlNode, shadow: Shadow): void {
  const { isMap, isPair, isScalar, isSeq } = yamlLib();
  shadow.value = node.range?.[0] ?? shadow.value;
  if (isMap(node)) {
    shadow.kids = new Map();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined || shadow.kids.has(key)) continue;
      const keyAt = keyNode?.range?.[0] ?? shadow.value;
      const kid: Shadow = { key: keyAt, value: keyAt };
      shadow.kids.set(key, kid);
      if (pair.value) fill(pair.value as YamlNode, kid);
    }
  } else if (isSeq(node)) {
    shadow.kids = new Map();
    node.items.forEach((item, i) => {
      const at = (item as YamlNode | null)?.range?.[0] ?? shadow.value;
      const kid: Shadow = { key: at, value: at };
      shadow.kids!.set(i, kid);
      if (item) fill(item as YamlNode, kid);
    });
  }
}
