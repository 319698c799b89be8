/**
 * @module engine/line-splitter
 * Turns a byte stream into lines: UTF-8 safe across chunk boundaries, `\r\n`
 * and `\n` endings, over-long lines cut into pieces so one line cannot hold
 * the whole output in memory.
 */
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE = 16 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.emit(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
    while (this.rest.length > MAX_LINE) {
      this.onLine(this.rest.slice(0, MAX_LINE));
      this.rest = this.rest.slice(MAX_LINE);
    }
  }

  end(): void {
    const tail = this.rest + this.decoder.end();
    this.rest = '';
    if (tail.length > 0) this.emit(tail.endsWith('\r') ? tail.slice(0, -1) : tail);
  }

  private emit(line: string): void {
    for (let i = 0; i < line.length; i += MAX_LINE) this.onLine(line.slice(i, i + MAX_LINE));
    if (line.length === 0) this.onLine('');
  }
}
