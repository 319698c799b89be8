/**
 * @module server/announce
 * A run just submitted, told to live watchers (SSE): started, or queued
 * behind a concurrency limit with what it waits for.
 */
import { describeWait } from '../core/flow.js';
import type { Engine } from '../engine/engine.js';

export async function announceRun(engine: Engine, runId: string, workflow: string, steps: number): Promise<void> {
  const run = await engine.store.getRun(runId);
  if (run?.status === 'queued') engine.report('run:queued', { runId, workflow, waitingFor: describeWait(await engine.store.flow(runId)) });
  else engine.report('run:started', { runId, workflow, steps, resumed: false });
}
