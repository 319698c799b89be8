/**
 * @module cli/commands/resume
 * `baton resume RUN`: finish a run whose process died. Steps that succeeded
 * never run again; steps that were running get a new attempt, the lost one
 * recorded as crashed.
 */
import { continueRun } from '../continue-run.js';

export function main(argv: string[]): Promise<number> {
  return continueRun(
    argv,
    'resume',
    'baton resume RUN [--concurrency N] [--json] [--home DIR]',
    'Finishes a run whose "baton run" process died (crash, kill -9, power loss).',
  );
}
