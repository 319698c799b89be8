#!/usr/bin/env node
/**
 * @module cli/main
 * The `baton` command: picks the subcommand and imports only its module, so
 * start-up stays fast (`validate` never loads SQLite). Exit codes: 0
 * succeeded, 1 run failed, 2 invalid input or usage, 130 interrupted.
 */
import { BatonError } from '../core/errors.js';
import { EXIT, UsageError } from './exit.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: (argv: string[]) => Promise<number> }> }> = {
  run: { summary: 'run a workflow file or a code workflow module', load: () => import('./commands/run.js') },
  validate: { summary: 'check workflow files and report every problem', load: () => import('./commands/validate.js') },
  graph: { summary: 'print the task graph (text, mermaid, dot)', load: () => import('./commands/graph.js') },
  runs: { summary: 'list recent runs', load: () => import('./commands/runs.js') },
  show: { summary: 'show a run and its steps', load: () => import('./commands/show.js') },
  logs: { summary: "print a run's captured output", load: () => import('./commands/logs.js') },
  resume: { summary: 'finish a run whose process died', load: () => import('./commands/resume.js') },
  retry: { summary: 're-run the failed tasks of a run, keeping its successes', load: () => import('./commands/retry.js') },
  cancel: { summary: 'cancel a run', load: () => import('./commands/cancel.js') },
  worker: { summary: 'execute ready steps of any run in a shared store (--db)', load: () => import('./commands/worker.js') },
  plan: { summary: 'what a server would serve from a folder: graphs, schedules, next fires', load: () => import('./commands/plan.js') },
  schedule: { summary: 'schedule simulate WORKFLOW: its fires over days, and what a downtime would cause', load: () => import('./commands/schedule.js') },
  server: { summary: 'serve a folder of workflows over HTTP and run them', load: () => import('./commands/server.js') },
  pool: { summary: 'list, set and remove resource pools (slots tasks take with pool: NAME)', load: () => import('./commands/pool.js') },
  token: { summary: 'create, list and revoke API tokens of the server', load: () => import('./commands/token.js') },
  signal: { summary: 'send a signal (with a JSON payload) to a code run', load: () => import('./commands/signal.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: baton <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "baton <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
  const mod = await command.load();
  return mod.main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof BatonError && ['USAGE', 'INVALID_INPUT', 'INVALID_WORKFLOW', 'NOT_FOUND', 'CONFLICT', 'STORE'].includes(error.code))) {
      process.stderr.write(`baton: ${error.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`baton: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.internal;
  },
);
