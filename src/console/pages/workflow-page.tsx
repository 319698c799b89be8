/**
 * @module console/pages/workflow-page
 * One workflow: its last runs and how they went by step, "run now", its
 * graph (or, for code, its steps as its last run took them), its triggers
 * with next fires, and its source.
 */
import type { Schedule, Workflow } from '../api/types';
import { TaskGraph } from '../graph/task-graph';
import { Link } from '../router';
import { useCanOperate, useSession } from '../session';
import { formatTime } from '../ui/format';
import { ErrorNote } from '../ui/status';
import { useResource } from '../ui/use-resource';
import { LastRuns } from './last-runs';
import { RunForm } from './run-form';
import { WorkflowStatsView } from './workflow-stats';

export function WorkflowPage(props: { name: string }) {
  const { api } = useSession();
  const canOperate = useCanOperate();
  const wf = useResource(() => api.get<Workflow>(`/api/workflows/${encodeURIComponent(props.name)}`), [props.name]);
  const schedules = useResource(() => api.get<{ schedules: Schedule[] }>('/api/schedules'), []);
  if (wf.error) {
    return (
      <>
        <h1>Workflow {props.name}</h1>
        <ErrorNote error={wf.error} />
      </>
    );
  }
  const w = wf.data;
  if (!w) return <p className="loading">Loading workflow…</p>;
  const mine = (schedules.data?.schedules ?? []).filter((s) => s.workflow === w.name);
  return (
    <>
      <h1>{w.name}</h1>
      <p className="muted">
        {w.kind === 'file' ? 'File workflow' : 'Code workflow'} · <span className="mono">{w.file}</span>
      </p>
      <section>
        <h2>Last runs</h2>
        <LastRuns workflow={w.name} count={30} /> <Link to={`/?workflow=${encodeURIComponent(w.name)}`}>all runs of {w.name}</Link>
      </section>
      <section>
        <h2>By step</h2>
        <WorkflowStatsView workflow={w.name} />
      </section>
      {canOperate && (
        <section>
          <h2>Run now</h2>
          <RunForm workflow={w} />
        </section>
      )}
      {w.kind === 'file' && (
        <section>
          <h2>Graph</h2>
          <TaskGraph nodes={w.tasks} label={`Task graph of ${w.name}`} />
        </section>
      )}
      <section>
        <h2>Triggers</h2>
        {mine.length === 0 && w.events.length === 0 && !w.quietHours && <p>Started by hand (CLI, API or this console) only.</p>}
        <ul>
          {mine.map((s) => (
            <li key={s.id}>
              Schedule <strong>{s.id}</strong>: {s.when.includes(s.timezone) ? s.when : `${s.when} (${s.timezone})`}; catch-up {s.catchUp}, overlap {s.overlap}
              {s.paused ? ' — paused' : ''}. Next: {s.next.slice(0, 3).map((t) => formatTime(Date.parse(t))).join(', ') || '—'}
            </li>
          ))}
          {w.quietHours?.windows.map((q, i) => (
            <li key={`quiet-${i}`}>
              Quiet hours {quietWindow(q)}: work due then is {w.quietHours?.action === 'skip' ? 'not started' : 'held until the window ends'}
            </li>
          ))}
          {w.events.map((e, i) => (
            <li key={i}>
              Event <span className="mono">{e.type}</span>
              {e.if ? (
                <>
                  {' '}
                  if <span className="mono">{e.if}</span>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Definition</h2>
        <pre className="source" tabIndex={0} role="region" aria-label={`Source of ${w.file}`}>
          {w.source ?? ''}
        </pre>
      </section>
    </>
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

function quietWindow(q: { days: number[]; fromMin: number; toMin: number; timezone: string }): string {
  const days = q.days.length === 0 ? 'every day' : q.days.map((d) => DAYS[d]).join(', ');
  return `${days} ${hhmm(q.fromMin)}–${hhmm(q.toMin)} (${q.timezone})`;
}
