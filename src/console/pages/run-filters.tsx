/**
 * @module console/pages/run-filters
 * The runs page's filters: workflow, status, trigger, a creation time range
 * and a search over run ids and input text. They live in the address (so a
 * filtered list can be shared and Back works); each change starts again at
 * the first page.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { RUN_STATUSES, TRIGGERS, type Workflow } from '../api/types';

export interface RunFilter {
  workflow: string;
  status: string;
  trigger: string;
  since: string;
  until: string;
  q: string;
}

export const FILTER_KEYS: Array<keyof RunFilter> = ['workflow', 'status', 'trigger', 'since', 'until', 'q'];

export function filterFrom(params: URLSearchParams): RunFilter {
  const get = (k: string) => params.get(k) ?? '';
  return { workflow: get('workflow'), status: get('status'), trigger: get('trigger'), since: get('since'), until: get('until'), q: get('q') };
}

/** A datetime-local value (local time, no zone) as ISO 8601 for the API. */
export function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export function RunFilters(props: { value: RunFilter; workflows: Workflow[]; onChange: (f: RunFilter) => void }) {
  const { value, onChange } = props;
  const [q, setQ] = useState(value.q);
  useEffect(() => setQ(value.q), [value.q]);
  const set = (k: keyof RunFilter) => (e: { target: { value: string } }) => onChange({ ...value, [k]: e.target.value });
  const search = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...value, q });
  };
  const any = FILTER_KEYS.some((k) => value[k] !== '');
  return (
    <form className="filters" onSubmit={search} aria-label="Filter runs">
      <label>
        Workflow
        <select value={value.workflow} onChange={set('workflow')}>
          <option value="">all</option>
          {props.workflows.map((w) => (
            <option key={w.name} value={w.name}>
              {w.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={value.status} onChange={set('status')}>
          <option value="">all</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <label>
        Trigger
        <select value={value.trigger} onChange={set('trigger')}>
          <option value="">all</option>
          {TRIGGERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <input type="datetime-local" value={value.since} onChange={set('since')} />
      </label>
      <label>
        To
        <input type="datetime-local" value={value.until} onChange={set('until')} />
      </label>
      <label className="search">
        Search
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="run id or input text" />
      </label>
      <button type="submit">Search</button>
      {any && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setQ('');
            onChange({ workflow: '', status: '', trigger: '', since: '', until: '', q: '' });
          }}
        >
          Clear
        </button>
      )}
    </form>
  );
}
