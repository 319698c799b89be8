/**
 * @module console/run/graph-view
 * A file run's task graph, coloured live by status, with retries (attempts)
 * and skips on each box; a code run's steps in the order it took them.
 */
import type { RunDetail, Step } from '../api/types';
import { TaskGraph } from '../graph/task-graph';
import { elapsed, formatDuration } from '../ui/format';
import { Status } from '../ui/status';

export function stepNote(s: Step): string {
  const parts: string[] = [s.status];
  if (s.attempt > 1) parts.push(`${s.attempt} attempts`);
  if (s.status === 'skipped' && s.error) parts.push(s.error);
  return parts.join(', ');
}

export function GraphView(props: { detail: RunDetail; onStep: (id: string) => void }) {
  const { run, steps } = props.detail;
  const isCode = run.definition?.kind === 'code';
  if (steps.length === 0) return <p className="empty">No steps yet.</p>;
  if (isCode) return <CodeSteps steps={steps} onStep={props.onStep} />;
  const nodes = steps.map((s) => ({
    id: s.id,
    // A rollback hangs off the task it undoes.
    dependsOn: s.kind === 'rollback' && s.target ? [s.target] : s.dependsOn,
    status: s.status,
    note: stepNote(s),
  }));
  return (
    <>
      <TaskGraph nodes={nodes} label={`Task graph of run ${run.id}`} onSelect={props.onStep} />
      <p className="hint">Select a task to read its logs.</p>
    </>
  );
}

function CodeSteps(props: { steps: Step[]; onStep: (id: string) => void }) {
  return (
    <ol className="code-steps">
      {props.steps.map((s) => (
        <li key={s.id}>
          <Status value={s.status} />{' '}
          <button type="button" className="link mono" onClick={() => props.onStep(s.id)}>
            {s.id}
          </button>{' '}
          <span className="muted">
            {s.kind}
            {s.attempt > 1 ? ` · ${s.attempt} attempts` : ''} · {formatDuration(elapsed(s.startedAt, s.finishedAt))}
          </span>
          {s.error && <div className="error small">{s.error}</div>}
        </li>
      ))}
    </ol>
  );
}
