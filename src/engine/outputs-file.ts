/**
 * @module engine/outputs-file
 * Step outputs: a task writes `key=value` lines to the file named by
 * `$BATON_OUTPUT` (and, as in GitHub Actions, `key<<DELIM` ... `DELIM` for a
 * multi-line value). Later tasks read them as `tasks.<id>.outputs.<key>`.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function outputsPath(runId: string, stepId: string, attempt: number): string {
  const safe = stepId.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(tmpdir(), `baton-${runId}-${safe}-${attempt}.out`);
}

export async function prepareOutputs(path: string): Promise<void> {
  await writeFile(path, '', { mode: 0o600 });
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

/** Read and remove the outputs file; a missing file means no outputs. */
export async function collectOutputs(path: string): Promise<ParsedOutputs> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { outputs: {}, problems: [] };
  }
  await rm(path, { force: true });
  return parseOutputs(text);
}
