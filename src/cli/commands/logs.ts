/**
 * @module cli/commands/logs
 * `baton logs RUN [TASK]`: captured output, every attempt, in order.
 */
import { COMMON_OPTIONS, help, parse, positiveInt } from '../args.js';
import { EXIT, UsageError } from '../exit.js';
import { homeDir, openStore, resolveRunId } from '../home.js';
import { styleFor } from '../render/style.js';

const SYNOPSIS = 'baton logs RUN [TASK] [--attempt N] [--timestamps] [--json] [--home DIR]';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...COMMON_OPTIONS, attempt: { type: 'string', short: 'a' }, timestamps: { type: 'boolean', short: 't', default: false } },
    SYNOPSIS,
  );
  if (values.help) return help(SYNOPSIS, 'Prints the output of a run (or of one task), prefixed by task and attempt.');
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`expected RUN [TASK]\nusage: ${SYNOPSIS}`);
  const store = await openStore(homeDir(values.home), { mustExist: true, db: values.db });
  try {
    const runId = await resolveRunId(store, positionals[0] as string);
    const stepId = positionals[1];
    if (stepId !== undefined) {
      const steps = await store.getSteps(runId);
      if (!steps.some((st) => st.id === stepId)) throw new UsageError(`run ${runId} has no task "${stepId}" (it has: ${steps.map((st) => st.id).slice(0, 20).join(', ')})`);
    }
    const attempt = positiveInt(values.attempt, '--attempt');
    const lines = await store.getLogs({ runId, ...(stepId !== undefined ? { stepId } : {}), ...(attempt !== undefined ? { attempt } : {}) });
    if (values.json) {
      process.stdout.write(JSON.stringify(lines.map((l) => ({ step: l.stepId, attempt: l.attempt, stream: l.stream, at: new Date(l.at).toISOString(), line: l.line }))) + '\n');
      return EXIT.ok;
    }
    const s = styleFor(process.stdout);
    const multiAttempt = new Set(lines.map((l) => `${l.stepId}#${l.attempt}`)).size > new Set(lines.map((l) => l.stepId)).size;
    for (const l of lines) {
      const who = stepId === undefined || multiAttempt ? s.paint('cyan', `[${stepId === undefined ? l.stepId : ''}${multiAttempt ? `#${l.attempt}` : ''}] `) : '';
      const ts = values.timestamps ? s.paint('dim', new Date(l.at).toISOString() + ' ') : '';
      const text = l.stream === 'system' ? s.paint('dim', l.line) : l.stream === 'stderr' && s.color ? s.paint('yellow', l.line) : l.line;
      process.stdout.write(`${ts}${who}${text}\n`);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
