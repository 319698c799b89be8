/**
 * @module console/pages/schedules-page
 * Every schedule: when it fires, its effective catch-up and overlap policies,
 * its next fires and what its last fires did, the week ahead on a calendar
 * with its workflow's quiet hours; pause, resume, or fire now.
 */
import { useEffect, useState } from 'react';
import type { Schedule } from '../api/types';
import { Link } from '../router';
import { useCanOperate, useSession } from '../session';
import { formatDuration, formatTime } from '../ui/format';
import { ErrorNote } from '../ui/status';
import { WeekCalendar } from '../ui/week-calendar';
import { useResource } from '../ui/use-resource';

export function SchedulesPage() {
  const { api } = useSession();
  const canOperate = useCanOperate();
  const schedules = useResource(() => api.get<{ schedules: Schedule[] }>('/api/schedules'), [], (e) => e.type === 'run:started');
  const [problem, setProblem] = useState<string>();
  const { reload } = schedules;
  useEffect(() => {
    const timer = setInterval(reload, 15_000);
    return () => clearInterval(timer);
  }, [reload]);

  const act = (s: Schedule, verb: 'pause' | 'resume' | 'trigger') => {
    setProblem(undefined);
    api.post(`/api/schedules/${encodeURIComponent(s.workflow)}/${encodeURIComponent(s.id)}/${verb}`).then(reload, (e: unknown) => setProblem((e as Error).message));
  };
  const list = schedules.data?.schedules ?? [];
  return (
    <>
      <h1>Schedules</h1>
      <ErrorNote error={schedules.error} />
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {schedules.data && list.length === 0 && <p className="empty">No workflow has a schedule (on.schedule in its file).</p>}
      <div className="cards">
        {list.map((s) => (
          <article key={`${s.workflow}/${s.id}`} className="card" aria-label={`Schedule ${s.id} of ${s.workflow}`}>
            <h2>
              <Link to={`/workflows/${encodeURIComponent(s.workflow)}`}>{s.workflow}</Link> / {s.id} {s.paused && <span className="status status-paused">paused</span>}
            </h2>
            <dl className="facts">
              <dt>When</dt>
              <dd>{s.when.includes(s.timezone) ? s.when : `${s.when} (${s.timezone})`}</dd>
              <dt>Catch-up</dt>
              <dd>{s.catchUp}</dd>
              <dt>Overlap</dt>
              <dd>{s.overlap}</dd>
              {s.jitterMs > 0 && (
                <>
                  <dt>Jitter</dt>
                  <dd>up to {formatDuration(s.jitterMs)}</dd>
                </>
              )}
              <dt>Next fires (your time)</dt>
              <dd>{s.paused ? 'none while paused' : s.next.map((t) => formatTime(Date.parse(t))).join(', ') || '—'}</dd>
              <dt>Last fires</dt>
              <dd>
                {s.last.length === 0
                  ? 'none yet'
                  : s.last.map((f) => (
                      <span key={f.dueAt} className="fire">
                        {formatTime(Date.parse(f.dueAt))} {f.outcome}
                        {f.runId && (
                          <>
                            {' '}
                            <Link to={`/runs/${encodeURIComponent(f.runId)}`}>run</Link>
                          </>
                        )}
                      </span>
                    ))}
              </dd>
            </dl>
            <WeekCalendar week={s.week} label={`The week ahead of ${s.workflow} / ${s.id}: quiet hours and fires`} />
            {canOperate && (
              <div className="buttons">
                {s.paused ? (
                  <button type="button" onClick={() => act(s, 'resume')}>
                    Resume
                  </button>
                ) : (
                  <button type="button" className="secondary" onClick={() => act(s, 'pause')}>
                    Pause
                  </button>
                )}
                <button type="button" className="secondary" onClick={() => act(s, 'trigger')}>
                  Fire now
                </button>
              </div>
            )}
          </article>
        ))}
      </div>
    </>
  );
}
