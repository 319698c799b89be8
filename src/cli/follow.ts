/**
 * @module cli/follow
 * Shared by run, resume and retry: show a run live until it ends, turn Ctrl-C
 * into a cancel (every process group ended, the run recorded cancelled, exit
 * 130), then print the summary or the JSON report and pick the exit code.
 */
import type { RunHandle } from '../engine/engine.js';
import type { Store } from '../store/store.js';
import { formatDuration } from '../core/duration.js';
import { EXIT } from './exit.js';
import { liveReporter, plainReporter, type EventSource, type Reporter } from './render/reporter.js';
import { runReport, runSummary } from './render/run-report.js';
import { SYMBOL, statusColor, styleFor } from './render/style.js';

export interface FollowOptions {
  json: boolean;
}

export function attachReporter(engine: EventSource, json: boolean): Reporter {
  if (json) return { close: () => undefined };
  const live = process.stdout.isTTY && !process.env.CI && process.env.BATON_PLAIN !== '1';
  return live ? liveReporter(engine, process.stdout) : plainReporter(engine, process.stdout);
}

export async function follow(engine: EventSource, store: Store, start: () => Promise<RunHandle>, options: FollowOptions): Promise<number> {
  const reporter = attachReporter(engine, options.json);
  const style = styleFor(process.stdout);
  let interrupted: NodeJS.Signals | undefined;
  let handle: RunHandle | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.stderr.write('baton: interrupted again, exiting now\n');
      process.exit(EXIT.interrupted);
    }
    interrupted = signal;
    if (!options.json) process.stderr.write(`\nbaton: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'}, cancelling the run (again to force)\n`);
    void handle?.cancel(signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `terminated (${signal})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Never a silent exit 0 with the run unfinished: if nothing is left to wake
  // the engine (a bug), say so and how to go on.
  let finished = false;
  const onStall = () => {
    if (finished) return;
    process.stderr.write(`baton: internal error: run ${handle?.runId ?? ''} stalled with work left; continue it with "baton resume ${handle?.runId ?? 'RUN'}"\n`);
    process.exit(EXIT.internal);
  };
  process.on('beforeExit', onStall);
  try {
    handle = await start();
    if (interrupted) void handle.cancel('interrupted (Ctrl-C)');
    if (!options.json) process.stdout.write(style.paint('bold', `▶ run ${handle.runId}`) + '\n');
    const status = await handle.result;
    await handle.cancel().catch(() => undefined);
    reporter.close();
    const report = options.json ? undefined : await runSummary(store, handle.runId);
    if (options.json) {
      process.stdout.write(JSON.stringify(await runReport(store, handle.runId), null, 2) + '\n');
    } else if (report) {
      const tally = new Map<string, number>();
      for (const s of report.steps) tally.set(s.status, (tally.get(s.status) ?? 0) + 1);
      const parts = [...tally].map(([s, n]) => style.paint(statusColor(s), `${n} ${s}`)).join(', ');
      const took = report.durationMs !== null ? ` in ${formatDuration(report.durationMs)}` : '';
      const sym = style.paint(statusColor(status), SYMBOL[status] ?? '•');
      process.stdout.write(`${sym} run ${report.id} ${style.paint(statusColor(status), status)}${took}: ${parts}\n`);
      if (report.error && status !== 'succeeded') process.stdout.write(`  ${report.error}\n`);
      if (status === 'failed' || status === 'timed_out') {
        const failed = report.steps.find((s) => s.status === 'failed');
        if (failed) process.stdout.write(style.paint('dim', `  see: baton logs ${report.id} ${failed.id}   re-run what failed: baton retry ${report.id}`) + '\n');
      }
    }
    if (interrupted) return interrupted === 'SIGINT' ? EXIT.interrupted : 143;
    return status === 'succeeded' ? EXIT.ok : EXIT.failed;
  } finally {
    finished = true;
    process.off('beforeExit', onStall);
    reporter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}
