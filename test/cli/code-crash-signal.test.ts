/**
 * The code-crash workflow (test/fixtures/code-crash) with no kill: a run that
 * reaches the wait for the signal "go" keeps its `baton run` up, and takes the
 * signal when it is sent while the process runs, ending succeeded with the
 * payload in its result. The kill -9 cases are in code-crash.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Sandbox, until, type CliResult } from '../helpers/cli.js';
import { expectedResult, FIXTURE, pause, show, type Input, type Payload } from './code-crash-kit.js';

describe('crash safety of code workflows', () => {
  it('a run waiting for the signal stays up, and takes it when sent live', async () => {
    const box = new Sandbox();
    const input: Input = { file: box.path('effects.txt'), base: 2, stepMs: 5, sleepMs: 50 };
    const p = box.start(['run', FIXTURE, '--input', JSON.stringify(input)]);
    try {
      let exit: CliResult | undefined;
      void p.done.then((r) => (exit = r));
      await until(() => p.output().includes('[signal(go)] started') || exit !== undefined, 30_000);
      await pause(1500);
      expect(exit, `"baton run" ended by itself while the run waited for the signal: ${exit?.stderr ?? ''}`).toBeUndefined();
      const runId = (/▶ run (\S+)/.exec(p.output()) as RegExpExecArray)[1] as string;
      const payload: Payload = { bonus: 7, tag: 'live' };
      const sent = await box.run(['signal', runId, 'go', JSON.stringify(payload)]);
      expect(sent.stdout).toBe(`signal go sent to run ${runId}\n`);
      const r = await p.done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((await show(box, runId)).result).toEqual(expectedResult(input, payload));
    } finally {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      box.remove();
    }
  }, 30_000);
});
