/**
 * @module console/pages/last-runs
 * A workflow's last runs as a strip of squares, newest on the right, each a
 * link to its run labelled with its status (colour is never the only sign).
 */
import { query } from '../api/client';
import type { Run } from '../api/types';
import { Link } from '../router';
import { useSession } from '../session';
import { formatTime } from '../ui/format';
import { useResource } from '../ui/use-resource';

export function LastRuns(props: { workflow: string; count?: number }) {
  const { api } = useSession();
  const count = props.count ?? 12;
  const runs = useResource(
    () => api.get<{ runs: Run[] }>(`/api/runs${query({ workflow: props.workflow, limit: count })}`),
    [props.workflow, count],
    (e) => e.type === 'run:started' || e.type === 'run:finished',
  );
  const list = [...(runs.data?.runs ?? [])].reverse();
  if (runs.data && list.length === 0) return <span className="muted">no runs yet</span>;
  return (
    <span className="strip" role="group" aria-label={`Last runs of ${props.workflow}`}>
      {list.map((r) => (
        <Link key={r.id} to={`/runs/${encodeURIComponent(r.id)}`} className={`cell status-${r.status}`}>
          <span className="sr-only">{`${r.status} at ${formatTime(r.createdAt)}`}</span>
        </Link>
      ))}
    </span>
  );
}
