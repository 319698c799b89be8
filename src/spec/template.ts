/**
 * @module spec/template
 * `${{ expr }}` inside strings: splitting a template into literal and
 * expression parts (with offsets, for error positions), rendering it for a
 * shell (each value single-quoted, so parameters never reach a shell parser
 * unquoted) or raw (for `args`, which run without a shell), and `shellQuote`.
 */

import { BatonError } from '../core/errors.js';
import type { ExprContext } from '../core/expressions.js';
import { expressions } from './expression-language.js';

export type TemplatePart =
  | { kind: 'literal'; text: string }
  /** `source` is the text between `${{` and `}}`; `offset` is where it starts in the template, `start` where `${{` does. */
  | { kind: 'expression'; source: string; offset: number; start: number };

export type TemplateScan = { ok: true; parts: TemplatePart[] } | { ok: false; message: string; offset: number };

const OPEN = '${{';
const CLOSE = '}}';

/** Whether a string holds any `${{`; the cheap test before scanning. */
export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Split a template without throwing; an unclosed `${{` is reported with its offset. */
export function scanTemplate(text: string): TemplateScan {
  const parts: TemplatePart[] = [];
  let from = 0;
  for (let open = text.indexOf(OPEN); open !== -1; open = text.indexOf(OPEN, from)) {
    if (open > from) parts.push({ kind: 'literal', text: text.slice(from, open) });
    const offset = open + OPEN.length;
    const close = findClose(text, offset);
    if (close === -1) return { ok: false, message: 'unclosed "${{" (expected "}}")', offset: open };
    parts.push({ kind: 'expression', source: text.slice(offset, close), offset, start: open });
    from = close + CLOSE.length;
  }
  if (from < text.length || parts.length === 0) parts.push({ kind: 'literal', text: text.slice(from) });
  return { ok: true, parts };
}

/** The offset of the `}}` that ends an expression starting at `from`, skipping string literals. */
function findClose(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote || c === '\n') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

/** The parts of a template; throws `BatonError('INVALID_WORKFLOW')` for an unclosed `${{`. */
export function parseTemplate(text: string): TemplatePart[] {
  const scan = scanTemplate(text);
  if (!scan.ok) throw new BatonError('INVALID_WORKFLOW', `${scan.message} at character ${scan.offset + 1} of ${JSON.stringify(text)}`);
  return scan.parts;
}

/**
 * The template with each `${{ expr }}` replaced by its value: shell-quoted in
 * mode 'shell', as plain text in mode 'raw'.
 */
export function renderTemplate(text: string, ctx: ExprContext, mode: 'shell' | 'raw'): string {
  if (!hasTemplate(text)) return text;
  let out = '';
  for (const part of parseTemplate(text)) {
    if (part.kind === 'literal') {
      out += part.text;
    } else {
      const cel = expressions();
      const value = valueToText(cel.evaluate(cel.compileExpression(part.source), ctx));
      out += mode === 'shell' ? shellQuote(value) : value;
    }
  }
  return out;
}

/** Text for a value: strings as they are, null as nothing, lists and mappings as JSON. */
export function valueToText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/**
 * A POSIX shell word that stands for exactly `s`: single quotes around it, and
 * each `'` written as `'\''`. The empty string becomes `''`.
 */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
