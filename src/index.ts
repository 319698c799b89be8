/**
 * @module baton
 * The library API: the engine, the embedded store, the workflow loader, and
 * the error family.
 */
export { createEngine, Engine } from './engine/engine.js';
export type { EngineOptions, StartOptions, DriveOptions, RunHandle } from './engine/engine.js';
export type { EngineEventMap } from './core/events.js';
export type { WorkflowDef, TaskDef, RetryPolicy, InputDef } from './core/model.js';
export type { RunStatus, StepStatus } from './core/states.js';
export { BatonError, NonRetryableError, RetryAfterError, WorkflowInvalidError } from './core/errors.js';
export type { Problem, ErrorCode } from './core/errors.js';
export type { Store } from './store/store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export type { SqliteStoreOptions, Durability } from './store/sqlite/sqlite-store.js';
export { loadWorkflowFile, loadWorkflowText, resolveInputs } from './spec/index.js';
export { expressionHost } from './spec/expression-host.js';
export { defineWorkflow, NonDeterminismError } from './core/workflow-code.js';
export type {
  CodeWorkflow,
  WorkflowContext,
  StepContext,
  StepOptions,
  RetryOptions,
  ExecOptions,
  ExecResult,
  SignalOptions,
  WorkflowOptions,
  Duration,
} from './core/workflow-code.js';
