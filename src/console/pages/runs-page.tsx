/**
 * @module console/pages/runs-page
 * The home page: runs newest first, live (a run started, a step moved, a run
 * ended: the page shown is loaded again), filtered and searched by the API,
 * paged by its keyset cursor (`before`), so a page costs the same 50 rows
 * however long the history is.
 */
import { useState } from 'react';
import { query } from '../api/client';
import type { Run, Workflow } from '../api/types';
import { FINAL_RUN } from '../api/types';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { brief, elapsed, formatDuration, formatTime } from '../ui/format';
import { ErrorNote, Status } from '../ui/status';
import { useNow } from '../ui/use-now';
import { useResource } from '../ui/use-resource';
import { FILTER_KEYS, filterFrom, RunFilters, toIso, type RunFilter } from './run-filters';
import { TableWrap } from '../ui/table-wrap';

const PAGE = 50;

export function RunsPage() {
  const { api } = useSession();
  const { params } = useLocation();
  const filter = filterFrom(params);
  // Cursors of the pages before this one (Newer goes back through them).
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors.at(-1);
  const workflows = useResource(() => api.get<{ workflows: Workflow[] }>('/api/workflows'), []);
  const apiQuery = query({ ...filter, since: toIso(filter.since), until: toIso(filter.until), limit: PAGE, before });
  const runs = useResource(() => api.get<{ runs: Run[]; next: string | null }>(`/api/runs${apiQuery}`), [apiQuery], (e) => e.type.startsWith('run:') || e.type.startsWith('step:'));
  const list = runs.data?.runs ?? [];
  const now = useNow(list.some((r) => !FINAL_RUN.has(r.status)));

  const setFilter = (f: RunFilter) => {
    setCursors([]);
    const q = new URLSearchParams();
    for (const k of FILTER_KEYS) if (f[k] !== '') q.set(k, f[k]);
    const s = q.toString();
    navigate(s === '' ? '/' : `/?${s}`, true);
  };

  return (
    <>
      <h1>Runs</h1>
      <RunFilters value={filter} workflows={workflows.data?.workflows ?? []} onChange={setFilter} />
      <ErrorNote error={runs.error} />
      <TableWrap label="Runs">
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Input</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/runs/${encodeURIComponent(r.id)}`} className="mono">
                    {r.id}
                  </Link>
                </td>
                <td>{r.workflow}</td>
                <td>
                  <Status value={r.status} />
                </td>
                <td>{r.trigger ?? ''}</td>
                <td>{formatTime(r.startedAt ?? r.createdAt)}</td>
                <td>{formatDuration(elapsed(r.startedAt, r.finishedAt, now))}</td>
                <td className="mono clip">{brief(r.input, 80)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {runs.data && list.length === 0 && <p className="empty">No runs{FILTER_KEYS.some((k) => filter[k] !== '') ? ' match these filters' : ' yet: start one from Workflows'}.</p>}
      <nav className="pager" aria-label="Pages of runs">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer
        </button>
        <button type="button" disabled={!runs.data?.next} onClick={() => runs.data?.next && setCursors((c) => [...c, runs.data?.next as string])}>
          Older →
        </button>
      </nav>
    </>
  );
}
