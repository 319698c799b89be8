/**
 * @module console/metrics/line-chart
 * A time-series line chart drawn by uPlot (a maintained, small canvas chart
 * library). uPlot sizes its elements through the CSSOM, which the page's
 * Content-Security-Policy allows (it governs style attributes and <style>
 * elements, not element.style).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: Array<number | null>;
  /** A CSS colour; read from the page's custom properties so dark mode follows. */
  colour: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function LineChart(props: { title: string; times: number[]; series: Series[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { stroke: cssVar('--line'), width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 200,
      series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: cssVar(s.colour), width: 2, points: { show: false } }))],
      axes: [axis, { ...axis, label: props.unit, size: 50 }],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(opts, [[], ...props.series.map(() => [])], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, el.clientWidth), height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // A new chart only when the series change; data is set below.
  }, [shape, props.unit]);

  useEffect(() => {
    plot.current?.setData([props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.times, props.series]);

  const waiting = props.times.length < 2;
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      {waiting && <p className="muted small">Collecting readings…</p>}
      <div ref={box} className={waiting ? 'hidden' : undefined} role="img" aria-label={`${props.title}: chart over the last ${props.times.length} readings`} />
    </figure>
  );
}
