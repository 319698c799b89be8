/**
 * @module console/pages/workflows-page
 * Every workflow the server serves: kind, file, triggers, and its last runs.
 */
import type { Workflow } from '../api/types';
import { Link } from '../router';
import { useSession } from '../session';
import { ErrorNote } from '../ui/status';
import { useResource } from '../ui/use-resource';
import { LastRuns } from './last-runs';
import { TableWrap } from '../ui/table-wrap';

export function triggersOf(w: Workflow): string {
  const parts: string[] = [];
  if (w.schedules.length > 0) parts.push(`${w.schedules.length} schedule${w.schedules.length > 1 ? 's' : ''}`);
  for (const e of w.events) parts.push(`event ${e.type}`);
  return parts.length === 0 ? 'manual' : parts.join(', ');
}

export function WorkflowsPage() {
  const { api } = useSession();
  const workflows = useResource(() => api.get<{ workflows: Workflow[] }>('/api/workflows'), []);
  const list = workflows.data?.workflows ?? [];
  return (
    <>
      <h1>Workflows</h1>
      <ErrorNote error={workflows.error} />
      <TableWrap label="Workflows">
        <table>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Kind</th>
              <th scope="col">File</th>
              <th scope="col">Triggers</th>
              <th scope="col">Last runs</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr key={w.name}>
                <td>
                  <Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                </td>
                <td>{w.kind === 'file' ? `file, ${w.tasks.length} task${w.tasks.length === 1 ? '' : 's'}` : 'code'}</td>
                <td className="mono">{w.file}</td>
                <td>{triggersOf(w)}</td>
                <td>
                  <LastRuns workflow={w.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {workflows.data && list.length === 0 && <p className="empty">This server serves no workflows: put workflow files in the folder it serves.</p>}
    </>
  );
}
