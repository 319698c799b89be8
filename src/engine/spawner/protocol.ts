/**
 * @module engine/spawner/protocol
 * Messages between the engine and its spawner process.
 */
import type { ProcessResult } from '../process-runner.js';

export type ToSpawner =
  | { op: 'spawn'; id: number; command?: string; argv?: string[]; cwd?: string; env: Record<string, string | undefined>; killGraceMs: number }
  | { op: 'abort'; id: number };

export type FromSpawner =
  | { op: 'lines'; id: number; stream: 'stdout' | 'stderr'; lines: string[] }
  | { op: 'done'; id: number; result: ProcessResult };
