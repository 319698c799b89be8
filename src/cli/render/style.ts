/**
 * @module cli/render/style
 * Colours and symbols for terminal output, off when the stream is not a TTY or
 * NO_COLOR is set.
 */

export interface Style {
  color: boolean;
  paint(code: 'red' | 'green' | 'yellow' | 'blue' | 'dim' | 'bold' | 'cyan', text: string): string;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, dim: 2, bold: 1 } as const;

export function styleFor(stream: NodeJS.WriteStream): Style {
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    color,
    paint: (code, text) => (color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text),
  };
}

export const SYMBOL: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  skipped: '○',
  cancelled: '⊘',
  retrying: '↻',
  running: '●',
  waiting: '◷',
  queued: '◌',
  ready: '·',
  pending: '·',
  compensated: '↺',
  timed_out: '⏱',
};

export function statusColor(status: string): 'green' | 'red' | 'yellow' | 'dim' | 'blue' {
  if (status === 'succeeded') return 'green';
  if (status === 'failed' || status === 'timed_out') return 'red';
  if (status === 'retrying' || status === 'queued' || status === 'cancelled' || status === 'compensating' || status === 'compensated') return 'yellow';
  if (status === 'running') return 'blue';
  return 'dim';
}
