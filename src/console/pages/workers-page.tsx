/**
 * @module console/pages/workers-page
 * Every process that executes steps (`baton worker`, each server's own):
 * live ones first, each with its host and pid, its state, how long ago its
 * last heartbeat was (ticking, measured on the store's clock), its slots in
 * use, and the steps and code runs it holds, linked to their runs. Loaded
 * again when steps start or end, and every few seconds for heartbeats.
 */
import { useEffect } from 'react';
import type { WorkerInfo, WorkerList, WorkerState } from '../api/types';
import { Link } from '../router';
import { useSession } from '../session';
import { formatAge, formatDuration, formatTime } from '../ui/format';
import { ErrorNote, Status } from '../ui/status';
import { useNow } from '../ui/use-now';
import { useResource } from '../ui/use-resource';

const RELOAD_MS = 5000;

export function WorkersPage() {
  const { api } = useSession();
  const workers = useResource(
    async () => ({ list: await api.get<WorkerList>('/api/workers'), at: Date.now() }),
    [],
    (e) => e.type.startsWith('step:') || e.type.startsWith('run:'),
  );
  const { reload } = workers;
  useEffect(() => {
    const timer = setInterval(reload, RELOAD_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const now = useNow(true);
  if (!workers.data) return workers.error ? <ErrorNote error={workers.error} /> : <p className="loading">Loading workers…</p>;
  const { list, at } = workers.data;
  // The store's time now: its reading, plus what this browser's clock says has passed since.
  const storeNow = list.now + (now - at);
  const shown = list.workers.map((w) => ({ worker: w, state: stateAt(w, storeNow) }));
  const count = (s: WorkerState) => shown.filter((x) => x.state === s).length;
  const live = shown.filter((x) => x.state === 'live');
  const used = live.reduce((n, x) => n + x.worker.held.length, 0);
  const slots = live.reduce((n, x) => n + x.worker.capacity, 0);
  return (
    <>
      <h1>Workers</h1>
      <ErrorNote error={workers.error} />
      {shown.length === 0 ? (
        <p className="empty">No worker has registered yet: baton worker and baton server list themselves here when they start.</p>
      ) : (
        <p className="hint">
          {count('live')} live, {count('lost')} lost, {count('stopped')} stopped; {used} of {slots} live slots in use.
        </p>
      )}
      <div className="cards">
        {shown.map(({ worker, state }) => (
          <WorkerCard key={worker.id} worker={worker} state={state} now={storeNow} />
        ))}
      </div>
    </>
  );
}

/** A live worker whose last beat is older than its lease has become lost since the list was read (the store's rule). */
function stateAt(w: WorkerInfo, now: number): WorkerState {
  return w.state === 'live' && now - w.seenAt > w.leaseMs ? 'lost' : w.state;
}

function WorkerCard(props: { worker: WorkerInfo; state: WorkerState; now: number }) {
  const { worker: w, state, now } = props;
  const runLink = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
  return (
    <article className="card worker" aria-label={`Worker ${w.host} pid ${w.pid}`}>
      <h2>
        <span className="mono">{w.host}</span> <span className="muted small">pid {w.pid}</span> <Status value={state} />
      </h2>
      <dl className="facts">
        <dt>Heartbeat</dt>
        <dd className="heartbeat">
          {state === 'stopped' ? `stopped ${formatAge(now - (w.stoppedAt ?? w.seenAt))} ago` : `seen ${formatAge(now - w.seenAt)} ago`}
          {state === 'lost' && ` (its lease of ${formatDuration(w.leaseMs)} has lapsed: its steps go back to ready)`}
        </dd>
        <dt>Slots</dt>
        <dd>
          <meter min={0} max={w.capacity} value={Math.min(w.held.length, w.capacity)} aria-label="Slots in use" /> {w.held.length} of {w.capacity} in use
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(w.startedAt)}</dd>
        {w.version && (
          <>
            <dt>Version</dt>
            <dd>{w.version}</dd>
          </>
        )}
      </dl>
      <h3>Steps it holds</h3>
      {w.held.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <ul className="held">
          {w.held.map((s) => (
            <li key={`${s.runId}/${s.stepId}`}>
              <Link to={runLink(s.runId)}>
                <span className="mono">{s.stepId}</span> of {s.workflow} run <span className="mono">{s.runId}</span>
              </Link>{' '}
              <span className="muted small">
                attempt {s.attempt}
                {s.startedAt !== null && `, for ${formatAge(now - s.startedAt)}`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {w.heldRuns.length > 0 && (
        <>
          <h3>Code runs it executes</h3>
          <ul className="held">
            {w.heldRuns.map((r) => (
              <li key={r.runId}>
                <Link to={runLink(r.runId)}>
                  {r.workflow} run <span className="mono">{r.runId}</span>
                </Link>{' '}
                <span className="muted small">{r.status}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}
