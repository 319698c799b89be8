/**
 * @module console/ui/week-calendar
 * The week ahead of a schedule, in the viewer's time: a row per day, hours
 * left to right, its workflow's quiet hours shaded, its fires as ticks, now
 * as a line. Each row is also a sentence for screen readers (the drawing is
 * hidden from them).
 */
import type { Schedule } from '../api/types';

const HOUR_MARKS = [0, 6, 12, 18, 24];

const clock = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

interface Day {
  start: number;
  end: number;
  label: string;
  quiet: Array<{ from: number; until: number }>;
  fires: number[];
}

/** The local days the week covers, each with its part of the quiet periods and its fires. */
function days(week: Schedule['week']): Day[] {
  const from = Date.parse(week.from);
  const until = Date.parse(week.until);
  const quiet = week.quiet.map((q) => ({ from: Date.parse(q.from), until: Date.parse(q.until) }));
  const fires = week.fires.map((f) => Date.parse(f));
  const out: Day[] = [];
  const first = new Date(from);
  for (let i = 0; ; i++) {
    const start = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i).getTime();
    if (start >= until) break;
    const end = new Date(first.getFullYear(), first.getMonth(), first.getDate() + i + 1).getTime();
    out.push({
      start,
      end,
      label: new Date(start).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' }),
      quiet: quiet.filter((q) => q.from < end && q.until > start).map((q) => ({ from: Math.max(q.from, start), until: Math.min(q.until, end) })),
      fires: fires.filter((f) => f >= start && f < end),
    });
  }
  return out;
}

function sentence(day: Day, action: Schedule['week']['quietAction']): string {
  const quiet = day.quiet.map((q) => `${clock(q.from)} to ${q.until === day.end ? 'midnight' : clock(q.until)}`);
  const fires = day.fires.length > 8 ? `${day.fires.length} fires` : day.fires.length > 0 ? `fires at ${day.fires.map(clock).join(', ')}` : 'no fires';
  const held = action === 'skip' ? 'skipped' : 'held';
  return `${day.label}: ${quiet.length > 0 ? `quiet ${quiet.join(', ')} (work ${held})` : 'no quiet hours'}; ${fires}.`;
}

export function WeekCalendar(props: { week: Schedule['week']; label: string; now?: number }) {
  const rows = days(props.week);
  const now = props.now ?? Date.now();
  const pct = (t: number, d: Day) => `${(((t - d.start) / (d.end - d.start)) * 100).toFixed(3)}%`;
  const action = props.week.quietAction;
  return (
    <figure className="week" aria-label={props.label}>
      <div className="week-hours" aria-hidden="true">
        {HOUR_MARKS.map((h) => (
          <span key={h} style={{ left: `${(h / 24) * 100}%` }}>
            {String(h).padStart(2, '0')}
          </span>
        ))}
      </div>
      <ul className="week-days">
        {rows.map((d) => (
          <li key={d.start} className="week-day">
            <span className="week-label" aria-hidden="true">
              {d.label}
            </span>
            <span className="sr-only">{sentence(d, action)}</span>
            <span className="week-track" aria-hidden="true">
              {d.quiet.map((q) => (
                <span key={q.from} className={`week-quiet quiet-${action ?? 'defer'}`} style={{ left: pct(q.from, d), width: `${(((q.until - q.from) / (d.end - d.start)) * 100).toFixed(3)}%` }} title={`quiet ${clock(q.from)}–${clock(q.until)}`} />
              ))}
              {d.fires.map((f) => (
                <span key={f} className="week-fire" style={{ left: pct(f, d) }} title={`fires at ${clock(f)}`} />
              ))}
              {now >= d.start && now < d.end && <span className="week-now" style={{ left: pct(now, d) }} />}
            </span>
          </li>
        ))}
      </ul>
      <figcaption className="small muted">
        Your time.{' '}
        {action && (
          <>
            <span className="swatch week-quiet" /> quiet hours ({action === 'skip' ? 'work due then is not started' : 'work due then waits for their end'}){' '}
          </>
        )}
        <span className="swatch week-fire" /> a fire <span className="swatch week-now" /> now
        {props.week.more && ' (more fires than shown)'}
      </figcaption>
    </figure>
  );
}
