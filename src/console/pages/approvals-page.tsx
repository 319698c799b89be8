/**
 * @module console/pages/approvals-page
 * The inbox: runs waiting for a signal, oldest first, each with the signal it
 * waits for and (for an operator) Approve and Reject.
 */
import { query } from '../api/client';
import type { Run, RunDetail } from '../api/types';
import { SignalForm } from '../run/signal-form';
import { Link } from '../router';
import { useCanOperate, useSession } from '../session';
import { formatTime } from '../ui/format';
import { ErrorNote } from '../ui/status';
import { useResource } from '../ui/use-resource';

interface Waiting {
  run: Run;
  signal: string;
  since: number | null;
}

export function ApprovalsPage() {
  const { api } = useSession();
  const canOperate = useCanOperate();
  const inbox = useResource(
    async (): Promise<Waiting[]> => {
      const { runs } = await api.get<{ runs: Run[] }>(`/api/runs${query({ status: 'waiting', limit: 500 })}`);
      const details = await Promise.all(runs.map((r) => api.get<RunDetail>(`/api/runs/${encodeURIComponent(r.id)}`)));
      return details
        .flatMap((d) => d.steps.filter((s) => s.kind === 'signal' && s.status === 'waiting').map((s) => ({ run: d.run, signal: s.name ?? s.id, since: s.startedAt ?? d.run.createdAt })))
        .sort((a, b) => (a.since ?? 0) - (b.since ?? 0));
    },
    [],
    (e) => e.type.startsWith('run:') || e.type.startsWith('step:'),
  );
  const list = inbox.data ?? [];
  return (
    <>
      <h1>Approvals</h1>
      <ErrorNote error={inbox.error} />
      {inbox.data && list.length === 0 && <p className="empty">No run is waiting for a signal.</p>}
      <div className="cards">
        {list.map((w) => (
          <article key={`${w.run.id}/${w.signal}`} className="card" aria-label={`Run ${w.run.id} waits for ${w.signal}`}>
            <h2>
              <Link to={`/runs/${encodeURIComponent(w.run.id)}`} className="mono">
                {w.run.id}
              </Link>
            </h2>
            <p>
              {w.run.workflow} waits for <strong className="mono">{w.signal}</strong> since {formatTime(w.since)}
            </p>
            {canOperate && <SignalForm runId={w.run.id} name={w.signal} onDone={inbox.reload} />}
          </article>
        ))}
      </div>
    </>
  );
}
