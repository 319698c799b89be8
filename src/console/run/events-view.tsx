/**
 * @module console/run/events-view
 * The run's history, oldest first: every event with its step, attempt and data.
 */
import type { RunEvent } from '../api/types';
import { brief } from '../ui/format';
import { TableWrap } from '../ui/table-wrap';

export function EventsView(props: { events: RunEvent[] }) {
  if (props.events.length === 0) return <p className="empty">No events yet.</p>;
  return (
    <TableWrap label="Events of this run">
      <table className="events">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Step</th>
            <th scope="col">Attempt</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{new Date(e.at).toLocaleTimeString(undefined, { hour12: false })}.{String(e.at % 1000).padStart(3, '0')}</td>
              <td className="mono">{e.type}</td>
              <td className="mono">{e.stepId ?? ''}</td>
              <td>{e.attempt ?? ''}</td>
              <td className="mono clip">{e.data ? brief(e.data, 200) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
