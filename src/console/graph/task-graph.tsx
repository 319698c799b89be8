/**
 * @module console/graph/task-graph
 * A task graph drawn as SVG: a box per task (its id, and a line such as its
 * status and attempts), arrows for dependencies, coloured by status class.
 * The layout is computed once per shape; status changes only recolour.
 * Each box is a button (Enter or click selects the task). Zoom in and out.
 */
import { useMemo, useState, type KeyboardEvent } from 'react';
import { cachedLayout, NODE_H, NODE_W, shapeKey } from './graph-layout';

export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
  status?: string;
  /** A second line: status, attempts, a skip reason. */
  note?: string;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function TaskGraph(props: { nodes: GraphNode[]; label: string; onSelect?: (id: string) => void }) {
  const shape = shapeKey(props.nodes);
  const laid = useMemo(() => cachedLayout(props.nodes, shape), [shape]);
  const [zoom, setZoom] = useState(1);
  const select = props.onSelect;
  const onKey = (id: string) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select?.(id);
    }
  };
  return (
    <figure className="graph">
      <div className="zoom" role="group" aria-label="Zoom">
        <button type="button" onClick={() => setZoom((z) => Math.max(0.25, z / 1.25))} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => setZoom(1)}>
          {Math.round(zoom * 100)}%
        </button>
        <button type="button" onClick={() => setZoom((z) => Math.min(3, z * 1.25))} aria-label="Zoom in">
          +
        </button>
      </div>
      <div className="graph-scroll" tabIndex={0} role="region" aria-label={`${props.label} (scrollable)`}>
        <svg width={laid.width * zoom} height={laid.height * zoom} viewBox={`0 0 ${laid.width} ${laid.height}`} role="group" aria-label={props.label}>
          <path d={laid.edgePath} className="edge" data-edges={laid.edgeCount} />
          <path d={laid.arrowPath} className="arrow-head" />
          {props.nodes.map((n) => {
            const at = laid.nodes.get(n.id);
            if (!at) return null;
            const id = clip(n.id, 22);
            const note = n.note ? clip(n.note, 24) : '';
            const shown = note ? `${id} ${note}` : id;
            // The name starts with the text shown (as screen-reader users hear and voice-control users say it), then the full text if clipped.
            const full = n.note ? `${n.id} ${n.note}` : n.id;
            return (
              <g
                key={n.id}
                transform={`translate(${at.x},${at.y})`}
                className={`node status-${n.status ?? 'none'}`}
                {...(select ? { role: 'button', tabIndex: 0, onClick: () => select(n.id), onKeyDown: onKey(n.id) } : {})}
                aria-label={shown === full ? shown : `${shown} (${full})`}
              >
                <title>{full}</title>
                <rect width={NODE_W} height={NODE_H} rx="6" />
                <text className="node-text">
                  <tspan x="10" y="19" className="node-id">
                    {id}
                  </tspan>
                  {note && ' '}
                  {note && (
                    <tspan x="10" y="36" className="node-note">
                      {note}
                    </tspan>
                  )}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
