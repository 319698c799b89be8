/**
 * @module console/run/logs-view
 * Captured output of a run, per step and attempt, streaming while it runs.
 * ANSI colours become class names on text spans (never HTML); a search keeps
 * the lines that contain the text; Download saves what is shown as plain text.
 */
import { useMemo, useState } from 'react';
import type { LogLine, RunDetail } from '../api/types';
import { parseAnsi, stripAnsi } from '../ui/ansi';
import { useLogs } from './use-logs';

export function LogsView(props: { detail: RunDetail; running: boolean; step: string | undefined; onStep: (id: string | undefined) => void }) {
  const { run, steps } = props.detail;
  const step = props.step ?? '';
  const [attempt, setAttempt] = useState('');
  const [search, setSearch] = useState('');
  const { lines, error } = useLogs(run.id, step, attempt, props.running);
  const attempts = steps.find((s) => s.id === step)?.attempt ?? 0;
  const shown = useMemo(() => {
    const needle = search.toLowerCase();
    return needle === '' ? lines : lines.filter((l) => stripAnsi(l.line).toLowerCase().includes(needle));
  }, [lines, search]);

  const download = () => {
    const text = shown.map((l) => `${new Date(l.at).toISOString()} ${l.stepId}#${l.attempt} ${l.stream} ${stripAnsi(l.line)}`).join('\n') + '\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${run.id}${step ? `-${step}` : ''}${attempt ? `-${attempt}` : ''}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className="logs">
      <div className="filters">
        <label>
          Step
          <select
            value={step}
            onChange={(e) => {
              setAttempt('');
              props.onStep(e.target.value === '' ? undefined : e.target.value);
            }}
          >
            <option value="">all steps</option>
            {steps.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Attempt
          <select value={attempt} onChange={(e) => setAttempt(e.target.value)} disabled={step === ''}>
            <option value="">all</option>
            {Array.from({ length: attempts }, (_, i) => (
              <option key={i + 1} value={String(i + 1)}>
                {i + 1}
              </option>
            ))}
          </select>
        </label>
        <label className="search">
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="text in the lines" />
        </label>
        <button type="button" className="secondary" onClick={download} disabled={shown.length === 0}>
          Download
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p className="muted small" aria-live="polite">
        {shown.length} of {lines.length} lines{props.running ? ' · streaming' : ''}
      </p>
      <pre className="log" tabIndex={0} role="region" aria-label="Log lines">
        {shown.map((l) => (
          <LogRow key={l.seq} line={l} showStep={step === ''} />
        ))}
      </pre>
    </section>
  );
}

function LogRow(props: { line: LogLine; showStep: boolean }) {
  const l = props.line;
  return (
    <div className={`log-line stream-${l.stream}`}>
      <span className="log-time">{new Date(l.at).toLocaleTimeString()}</span>
      {props.showStep && <span className="log-step">{`${l.stepId}#${l.attempt}`}</span>}
      <span className="log-text">
        {parseAnsi(l.line).map((p, i) =>
          p.classes === '' ? (
            p.text
          ) : (
            <span key={i} className={p.classes}>
              {p.text}
            </span>
          ),
        )}
      </span>
    </div>
  );
}
