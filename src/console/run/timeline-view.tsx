/**
 * @module console/run/timeline-view
 * The run as a Gantt chart: a row per attempt (retries as rows of their own,
 * the backoff before each drawn hatched), sleeps and signal waits, the
 * critical path marked; zoom widens the time axis. Each row is a button
 * (Tab to it, Enter or click shows that step's logs) named by its bars.
 */
import { useEffect, useRef, useState } from 'react';
import type { RunDetail } from '../api/types';
import { FINAL_RUN } from '../api/types';
import { formatDuration } from '../ui/format';
import { useNow } from '../ui/use-now';
import { ticks, timelineRows } from './timeline-model';

const ROW_H = 24;
const AXIS_H = 22;

export function TimelineView(props: { detail: RunDetail; onStep: (id: string) => void }) {
  const now = useNow(!FINAL_RUN.has(props.detail.run.status));
  const [zoom, setZoom] = useState(1);
  // At 100% the time axis fills the box's width (a phone's or a desktop's).
  const box = useRef<HTMLDivElement>(null);
  const [boxW, setBoxW] = useState(900);
  const { rows, start, end } = timelineRows(props.detail, now);
  const drawn = rows.length > 0;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setBoxW(el.clientWidth);
    measure();
    const watch = new ResizeObserver(measure);
    watch.observe(el);
    return () => watch.disconnect();
  }, [drawn]);
  // Step names take less room on a narrow screen; a tick mark every 90 px or more.
  const labelW = boxW < 520 ? 110 : 190;
  const labelChars = Math.floor(labelW / 7);
  const chartW = Math.max(160, boxW - labelW - 16) * zoom;
  const span = end - start;
  const x = (t: number) => labelW + ((t - start) / span) * chartW;
  const height = AXIS_H + rows.length * ROW_H + 4;
  const marks = ticks(span, Math.max(2, Math.floor(chartW / 90)));
  if (!drawn) return <p className="empty">Nothing has run yet.</p>;
  return (
    <figure className="timeline">
      <div className="zoom" role="group" aria-label="Zoom">
        <button type="button" onClick={() => setZoom((z) => Math.max(1, z / 1.5))} aria-label="Zoom out" disabled={zoom <= 1}>
          −
        </button>
        <button type="button" onClick={() => setZoom(1)}>
          {Math.round(zoom * 100)}%
        </button>
        <button type="button" onClick={() => setZoom((z) => Math.min(50, z * 1.5))} aria-label="Zoom in">
          +
        </button>
        <span className="legend">
          <span className="key key-attempt">attempt</span> <span className="key key-backoff">backoff</span> <span className="key key-wait">wait</span>{' '}
          <span className="key key-critical">critical path</span>
        </span>
      </div>
      <div ref={box} className="graph-scroll" tabIndex={0} role="region" aria-label="Timeline (scrollable)">
        <svg width={labelW + chartW + 12} height={height} role="group" aria-label={`Timeline of ${rows.length} attempts over ${formatDuration(span)}`}>
          {marks.map((t) => (
            <g key={t} aria-hidden="true">
              <line x1={x(start + t)} x2={x(start + t)} y1={AXIS_H - 4} y2={height} className="tick" />
              <text x={x(start + t) + 3} y={AXIS_H - 8} className="tick-label">
                {formatDuration(t)}
              </text>
            </g>
          ))}
          {rows.map((r, i) => {
            const y = AXIS_H + i * ROW_H;
            return (
              <g
                key={`${r.label}-${i}`}
                className={r.critical ? 'row critical' : 'row'}
                role="button"
                tabIndex={0}
                aria-label={`${r.bars.map((b) => `${b.title}, ${formatDuration(b.end - b.start)}`).join('; ')}${r.critical ? ' (critical path)' : ''}`}
                onClick={() => props.onStep(r.stepId)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    props.onStep(r.stepId);
                  }
                }}
              >
                <rect x="0" y={y} width={labelW + chartW + 12} height={ROW_H} className="row-bg" />
                <text x="4" y={y + 16} className="row-label">
                  {r.label.length > labelChars ? `${r.label.slice(0, labelChars - 1)}…` : r.label}
                </text>
                {r.bars.map((b, j) => (
                  <rect key={j} x={x(b.start)} y={y + 4} width={Math.max(2, x(b.end) - x(b.start))} height={ROW_H - 8} rx="2" className={`bar bar-${b.kind} status-${b.status}`}>
                    <title>{`${b.title} — ${formatDuration(b.end - b.start)}`}</title>
                  </rect>
                ))}
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
