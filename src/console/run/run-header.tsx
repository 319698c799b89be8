/**
 * @module console/run/run-header
 * What a run is at a glance: status, workflow, what started it, its times,
 * its input, its outputs (a code run's result, a file run's task outputs),
 * its user status and its error.
 */
import type { RunDetail, RunEvent } from '../api/types';
import { FINAL_RUN } from '../api/types';
import { Link } from '../router';
import { elapsed, formatDuration, formatTime } from '../ui/format';
import { Status } from '../ui/status';
import { useNow } from '../ui/use-now';

export function triggerOf(detail: RunDetail, events: RunEvent[]): { kind: string; text: string } {
  if (detail.run.parentId) return { kind: 'parent', text: 'parent run' };
  const scheduled = events.find((e) => e.type === 'run:scheduled');
  if (scheduled) return { kind: 'schedule', text: `schedule ${String(scheduled.data?.schedule ?? '')}` };
  const triggered = events.find((e) => e.type === 'run:triggered');
  if (triggered) return { kind: 'event', text: `event ${String(triggered.data?.event ?? '')}` };
  return { kind: 'manual', text: 'manual (CLI, API or console)' };
}

function pretty(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? '';
}

export function RunHeader(props: { detail: RunDetail; events: RunEvent[] }) {
  const { run, steps, result, userStatus } = props.detail;
  const now = useNow(!FINAL_RUN.has(run.status));
  const trigger = triggerOf(props.detail, props.events);
  const outputs = steps.filter((s) => Object.keys(s.outputs).length > 0);
  return (
    <header className="run-header">
      <h1>
        <span className="mono">{run.id}</span> <Status value={run.status} />
      </h1>
      <dl className="facts">
        <dt>Workflow</dt>
        <dd>
          <Link to={`/workflows/${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>
        </dd>
        <dt>Trigger</dt>
        <dd>
          {trigger.text}
          {run.parentId && (
            <>
              {' '}
              <Link to={`/runs/${encodeURIComponent(run.parentId)}`} className="mono">
                {run.parentId}
              </Link>
            </>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(run.finishedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(elapsed(run.startedAt, run.finishedAt, now))}</dd>
        {run.runAttempt > 1 && (
          <>
            <dt>Run attempt</dt>
            <dd>{run.runAttempt}</dd>
          </>
        )}
        {run.wakeAt !== null && run.status === 'waiting' && (
          <>
            <dt>Wakes</dt>
            <dd>{formatTime(run.wakeAt)}</dd>
          </>
        )}
        {userStatus !== null && (
          <>
            <dt>User status</dt>
            <dd>{pretty(userStatus)}</dd>
          </>
        )}
      </dl>
      {run.error && (
        <p className="error">
          <strong>Error:</strong> {run.error}
        </p>
      )}
      <div className="io">
        <section>
          <h2>Input</h2>
          <pre className="json">{pretty(run.input)}</pre>
        </section>
        {(result !== null || outputs.length > 0) && (
          <section>
            <h2>Outputs</h2>
            {result !== null && <pre className="json">{pretty(result)}</pre>}
            {outputs.map((s) => (
              <div key={s.id}>
                <h3 className="mono">{s.id}</h3>
                <pre className="json">{pretty(s.outputs)}</pre>
              </div>
            ))}
          </section>
        )}
      </div>
    </header>
  );
}
