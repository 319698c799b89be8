/**
 * @module engine/step-event
 * The `step:finished` event of a recorded outcome, the same from the run
 * driver (one run in this process) and from a worker (any run).
 */
import type { EngineEventMap } from '../core/events.js';
import type { AttemptOutcome, Claim } from '../store/store.js';

export function stepFinished(claim: Claim, outcome: AttemptOutcome, at: number): EngineEventMap['step:finished'] {
  const status = outcome.status === 'failed' ? (outcome.retryAt !== undefined ? 'retrying' : 'failed') : outcome.status;
  const event: EngineEventMap['step:finished'] = {
    runId: claim.runId,
    stepId: claim.stepId,
    kind: claim.kind,
    attempt: claim.attempt,
    status,
    exitCode: outcome.status === 'skipped' ? null : (outcome.exitCode ?? null),
    at,
  };
  if (outcome.status === 'failed') event.error = outcome.error;
  if (outcome.status === 'skipped') event.error = outcome.reason;
  if (outcome.status === 'failed' && outcome.retryAt !== undefined) event.retryAt = outcome.retryAt;
  return event;
}
