/**
 * @module engine/spawner/protocol
 * Messages between the engine and its spawner process. Each side sends the
 * messages of one turn of its event loop together, as one array (one write,
 * one wake-up of the other side): a process ending and the next one starting
 * in its slot are usually reported in the same array.
 */
import type { ProcessResult } from '../process-runner.js';

export type ToSpawner =
  | {
      op: 'spawn';
      id: number;
      command?: string;
      argv?: string[];
      cwd?: string;
      /** Differences from the base environment; null removes a variable. */
      env: Record<string, string | null>;
      killGraceMs: number;
      pool?: { id: string; limit: number };
    }
  | { op: 'abort'; id: number }
  /** The environment most commands share, sent once; spawns carry only their differences. */
  | { op: 'base-env'; env: Record<string, string> };

export type FromSpawner =
  | { op: 'started'; id: number }
  | { op: 'lines'; id: number; stream: 'stdout' | 'stderr'; lines: string[] }
  | { op: 'done'; id: number; result: ProcessResult };
