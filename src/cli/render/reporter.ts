/**
 * @module cli/render/reporter
 * What `baton run` shows while a run goes: on a terminal a live view of the
 * tasks (status, attempt, elapsed) with the output of failing attempts; when
 * piped, plain lines prefixed by the task id. Both read the engine's events.
 */
import type { EngineEventMap } from '../../core/events.js';
import { formatDuration } from '../../core/duration.js';
import { SYMBOL, statusColor, styleFor, type Style } from './style.js';

export interface Reporter {
  close(): void;
}

type Finished = EngineEventMap['step:finished'];

/** Where live events come from: an engine, or a run followed through a shared store. */
export interface EventSource {
  on<K extends keyof EngineEventMap>(name: K, listener: (payload: EngineEventMap[K]) => void): () => void;
}

function describe(e: Finished, style: Style, now: number): string {
  const sym = style.paint(statusColor(e.status), SYMBOL[e.status] ?? '?');
  if (e.status === 'retrying' && e.retryAt !== undefined) {
    return `${sym} attempt ${e.attempt} failed: ${e.error ?? ''}; retrying in ${formatDuration(Math.max(0, e.retryAt - now))}`;
  }
  if (e.status === 'succeeded') return `${sym} succeeded`;
  if (e.status === 'skipped') return `${sym} skipped: ${e.error ?? ''}`;
  return `${sym} ${e.status}${e.error ? `: ${e.error}` : ''}`;
}

/** Plain prefixed lines, for pipes and logs; written once per turn of the event loop. */
export function plainReporter(engine: EventSource, stream: NodeJS.WriteStream): Reporter {
  const style = styleFor(stream);
  let pending = '';
  const flush = () => {
    if (pending) stream.write(pending);
    pending = '';
  };
  const out = {
    write: (text: string) => {
      if (!pending) setImmediate(flush);
      pending += text;
    },
  };
  const started = new Map<string, number>();
  const label = (id: string) => style.paint('cyan', `[${id}]`);
  const offs = [
    engine.on('step:started', (e) => {
      started.set(e.stepId, e.at);
      out.write(`${label(e.stepId)} ${style.paint('dim', e.attempt > 1 ? `started (attempt ${e.attempt})` : 'started')}\n`);
    }),
    engine.on('run:queued', (e) => out.write(style.paint('yellow', `queued: ${e.waitingFor.join('; ') || 'waiting for a concurrency slot'}`) + '\n')),
    engine.on('step:log', (e) => out.write(`${label(e.stepId)} ${e.stream === 'system' ? style.paint('dim', e.line) : e.line}\n`)),
    engine.on('step:finished', (e) => {
      const t0 = started.get(e.stepId);
      const took = t0 !== undefined && e.status !== 'skipped' ? ` (${formatDuration(e.at - t0)})` : '';
      out.write(`${label(e.stepId)} ${describe(e, style, e.at)}${took}\n`);
    }),
  ];
  return {
    close: () => {
      offs.forEach((off) => off());
      flush();
    },
  };
}

const TAIL = 20;

/** A live view redrawn in place on a terminal. */
export function liveReporter(engine: EventSource, out: NodeJS.WriteStream): Reporter {
  const style = styleFor(out);
  const running = new Map<string, { attempt: number; since: number; tail: string[] }>();
  const counts: Record<string, number> = {};
  let drawn = 0;
  let total = 0;

  const clear = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const above = (text: string) => {
    clear();
    out.write(text.endsWith('\n') ? text : text + '\n');
    draw();
  };
  const draw = () => {
    clear();
    const now = Date.now();
    const rows = out.rows ?? 24;
    const width = out.columns ?? 100;
    const list = [...running.entries()].slice(0, Math.max(1, rows - 4));
    const lines = list.map(([id, r]) => {
      const attempt = r.attempt > 1 ? ` attempt ${r.attempt}` : '';
      return `  ${style.paint('blue', SYMBOL.running as string)} ${id}${style.paint('dim', `${attempt}  ${formatDuration(now - r.since)}`)}`.slice(0, width + 20);
    });
    if (running.size > list.length) lines.push(style.paint('dim', `  … and ${running.size - list.length} more running`));
    const done = Object.entries(counts)
      .map(([s, n]) => style.paint(statusColor(s), `${n} ${s}`))
      .join(', ');
    lines.push(style.paint('dim', `${running.size} running${done ? ', ' : ''}`) + done + style.paint('dim', total ? ` of ${total}` : ''));
    out.write(lines.join('\n') + '\n');
    drawn = lines.length;
  };

  const offs = [
    engine.on('run:queued', (e) => above(style.paint('yellow', `queued: ${e.waitingFor.join('; ') || 'waiting for a concurrency slot'}`))),
    engine.on('run:started', (e) => {
      total = e.steps;
    }),
    engine.on('step:started', (e) => {
      running.set(e.stepId, { attempt: e.attempt, since: e.at, tail: [] });
    }),
    engine.on('step:log', (e) => {
      const r = running.get(e.stepId);
      if (!r || e.stream === 'system') return;
      r.tail.push(e.line);
      if (r.tail.length > TAIL) r.tail.shift();
    }),
    engine.on('step:finished', (e) => {
      const r = running.get(e.stepId);
      running.delete(e.stepId);
      if (e.status !== 'retrying') counts[e.status] = (counts[e.status] ?? 0) + 1;
      const took = r && e.status !== 'skipped' ? style.paint('dim', ` ${formatDuration(e.at - r.since)}`) : '';
      let text = `${describe(e, style, e.at).replace(/^(\S+) (.*)$/s, `$1 ${e.stepId}${took} $2`)}`;
      if ((e.status === 'failed' || e.status === 'retrying') && r && r.tail.length > 0) {
        text += '\n' + r.tail.map((l) => style.paint('dim', '  │ ') + l).join('\n');
      }
      above(text);
    }),
    engine.on('step:cancelled', (e) => {
      counts.cancelled = (counts.cancelled ?? 0) + e.stepIds.length;
    }),
  ];
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      offs.forEach((off) => off());
      clear();
    },
  };
}
