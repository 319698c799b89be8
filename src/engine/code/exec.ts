/**
 * @module engine/code/exec
 * `ctx.exec`: a shell command (or an argv, without a shell) as a code step,
 * through the same launcher as file tasks, so it gets its own process group,
 * SIGTERM then SIGKILL on timeout or cancel, and its lines in the step's log.
 */
import { resolve } from 'node:path';
import type { ExecOptions, ExecResult, StepContext } from '../../core/workflow-code.js';
import type { ProcessResult, ProcessSpec } from '../process-runner.js';

const KEEP = 1 << 20;

export interface ExecHost {
  workdir: string;
  baseEnv: Readonly<Record<string, string>>;
  killGraceMs: number;
  launch: (spec: ProcessSpec) => Promise<ProcessResult>;
}

export async function execCommand(
  host: ExecHost,
  command: string | readonly string[],
  options: ExecOptions,
  ctx: StepContext,
  log: (stream: 'stdout' | 'stderr', line: string) => void,
): Promise<ExecResult> {
  const out = { stdout: '', stderr: '' };
  const spec: ProcessSpec = {
    ...(typeof command === 'string' ? { command } : { argv: command }),
    cwd: resolve(host.workdir, options.cwd ?? '.'),
    env: { ...options.env, BATON_RUN_ID: ctx.runId, BATON_STEP_ID: ctx.stepId, BATON_ATTEMPT: String(ctx.attempt) },
    baseEnv: host.baseEnv,
    signal: ctx.signal,
    killGraceMs: host.killGraceMs,
    onLine: (stream, line) => {
      if (out[stream].length < KEEP) out[stream] += `${line}\n`;
      log(stream, line);
    },
  };
  const r = await host.launch(spec);
  if (r.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('the command was stopped');
  if (r.spawnError) throw new Error(r.spawnError);
  const result: ExecResult = { exitCode: r.exitCode, stdout: out.stdout, stderr: out.stderr };
  if (options.check !== false && r.exitCode !== 0) {
    const tail = out.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`command exited with ${r.exitCode === null ? `signal ${r.signal ?? '?'}` : `code ${r.exitCode}`}${tail ? `: ${tail}` : ''}`);
  }
  return result;
}
