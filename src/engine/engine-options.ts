/**
 * @module engine/engine-options
 * What the engine is built with and what starting or driving a run takes and
 * gives back (engine.ts re-exports them).
 */
import type { Clock, Timers } from '../core/clock.js';
import type { ExpressionHost } from '../core/expressions.js';
import type { ChaosDef, WorkflowDef } from '../core/model.js';
import type { Random } from '../core/retry.js';
import type { RunStatus } from '../core/states.js';
import type { CodeWorkflow, StepContext } from '../core/workflow-code.js';
import type { Store } from '../store/store.js';
import type { Intercept } from './code/run-host.js';
import type { ProcessResult, ProcessSpec } from './process-runner.js';

export interface EngineOptions {
  store: Store;
  expr: ExpressionHost;
  clock?: Clock;
  random?: Random;
  /** Failure rehearsal for every task without its own `chaos:`. */
  chaos?: ChaosDef;
  /** Identifies this process as the owner of the runs it drives. */
  owner?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  /** Between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
  /** Steps at once in one run, when neither the workflow nor the caller says. */
  concurrency?: number;
  /** Environment every step inherits (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where step output files live while a run goes (default: the OS temp directory). */
  scratchDir?: string;
  /**
   * How commands are started (default: in this process; the CLI uses a
   * spawner process). It must honour `spec.pool`: the run's concurrency.
   */
  launch?: (spec: ProcessSpec) => Promise<ProcessResult>;
  /** Timers on `clock` (default: the system's; a test harness gives virtual ones). */
  timers?: Timers;
  /** Stands in for steps, commands or tasks (the test harness's mocks). */
  intercept?: Intercept;
  /**
   * Finds a workflow the engine does not have: a child given as a file path
   * (relative to `from`), or the module a code run was started from, to load
   * its code again on resume. The CLI loads files and TypeScript here.
   */
  load?: (ref: string, from: string) => Promise<WorkflowDef | CodeWorkflow<never, unknown>>;
  /** Finds the function of a `function: ./module.ts#name` task (relative to `from`). */
  loadFunction?: (ref: string, from: string) => Promise<(input: unknown, ctx: StepContext) => unknown>;
}

export interface DriveOptions {
  /** Values of the workflow's secrets, read by the caller from its environment. */
  secrets?: Record<string, string>;
  /** Overrides the workflow's concurrency. */
  concurrency?: number;
}

export interface StartOptions extends DriveOptions {
  /** Named values for a file workflow; any JSON value for a code workflow. */
  input?: unknown;
  /** The module a code workflow comes from, so a later process can load it again. */
  module?: string;
  parentId?: string;
  /** Where commands run (default: the current directory). */
  workdir?: string;
  runId?: string;
}

export interface RunHandle {
  runId: string;
  /** Resolves with the final status once the run has ended. */
  result: Promise<RunStatus>;
  /** Stop the run: its process groups are ended and it is recorded cancelled. Resolves once they are gone. */
  cancel(reason?: string): Promise<void>;
  /**
   * Stop driving the run here without recording anything (it was taken over,
   * cancelled elsewhere, or this worker is stopping): `result` rejects.
   */
  abandon?(reason: string): void;
}
