/**
 * @module engine/outputs-file
 * Step outputs: a task writes `key=value` lines to the file named by
 * `$BATON_OUTPUT` (and, as in GitHub Actions, `key<<DELIM` ... `DELIM` for a
 * multi-line value). Later tasks read them as `tasks.<id>.outputs.<key>`.
 * Files live in one private directory per run; none is created in advance
 * (the task's `>>` creates it), so a step that writes no outputs costs one
 * failed open.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class OutputsDir {
  private ready: Promise<unknown> | undefined;

  constructor(readonly dir: string) {}

  pathFor(stepId: string, attempt: number): string {
    return join(this.dir, `${stepId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${attempt}.out`);
  }

  prepare(): Promise<unknown> {
    return (this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }));
  }

  /**
   * Read and remove a step's outputs file; no file means no outputs. A
   * synchronous look: most steps write none, and a stat() that finds nothing
   * costs microseconds (no error thrown), far less than a trip through the
   * thread pool.
   */
  async collect(path: string): Promise<ParsedOutputs> {
    if (!statSync(path, { throwIfNoEntry: false })) return { outputs: {}, problems: [] };
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return { outputs: {}, problems: [] };
    }
    await rm(path, { force: true });
    return parseOutputs(text);
  }

  /** Removes the directory if a step made it; a later step makes it again. */
  async remove(): Promise<void> {
    if (!this.ready) return;
    this.ready = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface ParsedOutputs {
  outputs: Record<string, string>;
  problems: string[];
}

export function parseOutputs(text: string): ParsedOutputs {
  const outputs: Record<string, string> = {};
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const heredoc = /^([A-Za-z_][A-Za-z0-9_.-]*)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && lines[j] !== delim) body.push(lines[j++] as string);
      if (j >= lines.length) problems.push(`line ${i + 1}: "${key}<<${delim}" has no closing "${delim}"`);
      outputs[key] = body.join('\n');
      i = j;
      continue;
    }
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      problems.push(`line ${i + 1}: expected key=value, got ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    outputs[key] = line.slice(eq + 1);
  }
  return { outputs, problems };
}
