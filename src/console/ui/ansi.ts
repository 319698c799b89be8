/**
 * @module console/ui/ansi
 * ANSI colour codes in log lines turned into text pieces with class names
 * (`ansi-fg-1`, `ansi-bold`, ...), which the page renders as <span>s of
 * plain text: escape codes never become HTML. Other escape sequences
 * (cursor moves, titles) are dropped.
 */

export interface Piece {
  text: string;
  classes: string;
}

interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

// CSI ... final byte, or OSC ... BEL/ST, or a lone ESC and the next char.
const ESCAPE = /\u001b\[([0-9;?]*)([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]?/g;

export function parseAnsi(line: string): Piece[] {
  const pieces: Piece[] = [];
  let style: Style = {};
  let last = 0;
  const push = (text: string) => {
    if (text !== '') pieces.push({ text, classes: classesOf(style) });
  };
  for (const m of line.matchAll(ESCAPE)) {
    push(line.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
  }
  push(line.slice(last));
  return pieces;
}

export function stripAnsi(line: string): string {
  return line.replace(ESCAPE, '');
}

function applySgr(style: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number(p) || 0);
  let s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = String(c - 30);
    else if (c >= 90 && c <= 97) s.fg = String(c - 90 + 8);
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = String(c - 40);
    else if (c >= 100 && c <= 107) s.bg = String(c - 100 + 8);
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) {
      // 256 colours (5;n): the first 16 map to the palette; 24-bit (2;r;g;b) is skipped.
      const mode = codes[i + 1];
      const n = codes[i + 2];
      if (mode === 5 && n !== undefined && n < 16) s[c === 38 ? 'fg' : 'bg'] = String(n);
      i += mode === 5 ? 2 : mode === 2 ? 4 : 1;
    }
  }
  return s;
}

function classesOf(s: Style): string {
  const out: string[] = [];
  if (s.fg !== undefined) out.push(`ansi-fg-${s.fg}`);
  if (s.bg !== undefined) out.push(`ansi-bg-${s.bg}`);
  if (s.bold) out.push('ansi-bold');
  if (s.dim) out.push('ansi-dim');
  if (s.italic) out.push('ansi-italic');
  if (s.underline) out.push('ansi-underline');
  return out.join(' ');
}
