/**
 * @module console/pages/workflow-stats
 * How a workflow's latest runs went, from the store's history (GET
 * /api/workflows/:name/stats): failure rate and duration percentiles of the
 * runs, and per step its attempts, failures, retries, durations and queue
 * wait. Reloaded when one of its runs ends.
 */
import type { WorkflowStats } from '../api/types';
import { useSession } from '../session';
import { formatDuration } from '../ui/format';
import { ErrorNote } from '../ui/status';
import { TableWrap } from '../ui/table-wrap';
import { useResource } from '../ui/use-resource';

const RUNS = 100;

export function WorkflowStatsView(props: { workflow: string }) {
  const { api } = useSession();
  const stats = useResource(
    () => api.get<WorkflowStats>(`/api/workflows/${encodeURIComponent(props.workflow)}/stats?runs=${RUNS}`),
    [props.workflow],
    (e) => e.type === 'run:finished',
  );
  const s = stats.data;
  if (stats.error) return <ErrorNote error={stats.error} />;
  if (!s) return <p className="loading">Loading statistics…</p>;
  if (s.runs === 0) return <p className="empty">No runs yet.</p>;
  const ms = (v: number | undefined) => formatDuration(v ?? null);
  return (
    <>
      <p>
        The latest {s.runs} runs ({s.finished} ended): {s.failureRate === null ? 'none ended yet' : `${Math.round(s.failureRate * 100)}% failed or timed out`}
        {s.durationMs && `; duration p50 ${ms(s.durationMs.p50)}, p90 ${ms(s.durationMs.p90)}, p99 ${ms(s.durationMs.p99)}`}.
      </p>
      {s.steps.length > 0 && (
        <TableWrap label={`Steps of ${props.workflow}`}>
          <table className="stats">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Attempts</th>
                <th scope="col">Failed</th>
                <th scope="col">Retries</th>
                <th scope="col">Duration p50</th>
                <th scope="col">p90</th>
                <th scope="col">p99</th>
                <th scope="col">Queue wait p50</th>
                <th scope="col">p99</th>
              </tr>
            </thead>
            <tbody>
              {s.steps.map((st) => (
                <tr key={st.id}>
                  <th scope="row" className="mono">
                    {st.id}
                  </th>
                  <td>{st.attempts}</td>
                  <td>{st.failed}</td>
                  <td>{st.retried}</td>
                  <td>{ms(st.durationMs?.p50)}</td>
                  <td>{ms(st.durationMs?.p90)}</td>
                  <td>{ms(st.durationMs?.p99)}</td>
                  <td>{ms(st.waitMs?.p50)}</td>
                  <td>{ms(st.waitMs?.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
