/**
 * @module baton/testing
 * Test workflows like code: in-process, on a temporary store, with a virtual clock.
 */
export { createTestEnv, TestEnv, TestRun, RunFailedError } from './test-env.js';
export type { TestEnvOptions } from './test-env.js';
export { VirtualClock } from './virtual-clock.js';
