/**
 * @module cli/commands/retry
 * `baton retry RUN`: re-run from failure. The tasks that failed, were skipped
 * because of them, were cancelled or were rolled back run again; successes
 * are kept.
 */
import { continueRun } from '../continue-run.js';

export function main(argv: string[]): Promise<number> {
  return continueRun(
    argv,
    'retry',
    'baton retry RUN [--concurrency N] [--json] [--home DIR]',
    'Re-runs the tasks of a finished run that did not succeed, and what they had skipped.',
  );
}
