/**
 * @module spec/parse-source
 * Text to a plain value, choosing JSON or YAML by extension (or by the first
 * character when the extension says nothing). The happy path builds no
 * positions: `JSON.parse`, or the fast YAML reader with the `yaml` library as
 * fallback. Positions (a `Shadow`) are built only when asked for, i.e. when
 * there are problems to place. Syntax errors come with their offset.
 */

import { extname } from 'node:path';
import { yamlLib } from './yaml-lib.js';
import { parseFastYaml } from './fast-yaml.js';
import { countJsonKeys, countValueKeys, scanJson, type JsonScan } from './json-scan.js';
import { shadowOfDocument, type Shadow } from './source-map.js';

export type Format = 'json' | 'yaml';

export interface SyntaxProblem {
  offset: number;
  message: string;
}

export interface Parsed {
  value: unknown;
  /** Where each key and value is; undefined when it cannot be known (the problems then go to 1:1). */
  shadow(): Shadow | undefined;
  /** Keys given twice in one JSON object (JSON.parse keeps the last silently). */
  duplicateKeys(): { path: (string | number)[]; key: string; at: number }[];
}

export type ParseOutcome = { ok: true; parsed: Parsed } | { ok: false; problems: SyntaxProblem[] };

/** JSON for `.json`, YAML for `.yaml`/`.yml`; otherwise JSON when the text starts with `[` or `{` (then YAML if that fails). */
export function formatOf(file: string): Format | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

export function parseSource(text: string, file: string): ParseOutcome {
  const format = formatOf(file);
  if (format === 'yaml') return parseYaml(text);
  if (format === 'json') return parseJson(text);
  const first = /\S/.exec(text)?.[0];
  if (first === '[' || first === '{') {
    const json = parseJson(text);
    return json.ok ? json : parseYaml(text);
  }
  return parseYaml(text);
}

function parseJson(text: string): ParseOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const scanned = scanJson(text).errorAt;
    const stated = /at position (\d+)/.exec(message)?.[1];
    const offset = scanned ?? (stated === undefined ? (/end of JSON input/.test(message) ? text.length : 0) : Number(stated));
    return { ok: false, problems: [{ offset, message: `invalid JSON: ${cleanJsonMessage(message)}` }] };
  }
  let scan: ReturnType<typeof scanJson> | undefined;
  const scanned = (): ReturnType<typeof scanJson> => (scan ??= scanJson(text));
  // JSON.parse keeps the last of repeated keys: when the text holds more keys than the value, find them
  const duplicateKeys = (): JsonScan['duplicates'] => {
    try {
      if (countJsonKeys(text) === countValueKeys(value)) return [];
    } catch {
      // nested too deep to count: scan
    }
    return scanned().duplicates;
  };
  return { ok: true, parsed: { value, shadow: () => scanned().shadow, duplicateKeys } };
}

function cleanJsonMessage(message: string): string {
  return message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
}

function parseYaml(text: string): ParseOutcome {
  const fast = parseFastYaml(text);
  if (fast) {
    return { ok: true, parsed: { value: fast.value, shadow: () => parseFastYaml(text, true)?.shadow, duplicateKeys: () => [] } };
  }
  const doc = yamlLib().parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ offset: e.pos[0], message: `invalid YAML: ${e.message}` })) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [{ offset: 0, message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  return { ok: true, parsed: { value, shadow: () => shadowOfDocument(doc), duplicateKeys: () => [] } };
}
