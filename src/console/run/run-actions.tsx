/**
 * @module console/run/run-actions
 * What an operator may do to a run: cancel it, retry it from what failed,
 * answer a signal it waits for (approve with a JSON payload, or reject), and
 * run it again with the same or an edited input. A viewer sees none of this
 * (the server would refuse it anyway).
 */
import { useState } from 'react';
import type { RunDetail } from '../api/types';
import { FINAL_RUN } from '../api/types';
import { navigate } from '../router';
import { useCanOperate, useSession } from '../session';
import { SignalForm } from './signal-form';

export function RunActions(props: { detail: RunDetail; onDone: () => void }) {
  const { api } = useSession();
  const canOperate = useCanOperate();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const [input, setInput] = useState(() => JSON.stringify(props.detail.run.input ?? {}, null, 2));
  if (!canOperate) return null;
  const { run, steps } = props.detail;
  const id = encodeURIComponent(run.id);
  const final = FINAL_RUN.has(run.status);
  const waits = steps.filter((s) => s.kind === 'signal' && s.status === 'waiting');

  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await what();
      props.onDone();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const rerun = (body: unknown) =>
    act(async () => {
      const { runId } = await api.post<{ runId: string }>(`/api/workflows/${encodeURIComponent(run.workflow)}/runs`, { input: body });
      navigate(`/runs/${encodeURIComponent(runId)}`);
    });
  const rerunEdited = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (error) {
      setProblem(`The input is not JSON: ${(error as Error).message}`);
      return;
    }
    void rerun(parsed);
  };

  return (
    <section className="actions" aria-label="Actions">
      <div className="buttons">
        {!final && (
          <button type="button" className="danger" disabled={busy} onClick={() => void act(() => api.post(`/api/runs/${id}/cancel`).then(() => undefined))}>
            Cancel run
          </button>
        )}
        {final && run.status !== 'succeeded' && (
          <button type="button" disabled={busy} onClick={() => void act(() => api.post(`/api/runs/${id}/retry`).then(() => undefined))}>
            Retry from failed
          </button>
        )}
        <button type="button" className="secondary" disabled={busy} onClick={() => void rerun(run.input ?? {})}>
          Re-run with same input
        </button>
        <button type="button" className="secondary" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Re-run with edited input…
        </button>
      </div>
      {editing && (
        <div className="edit-input">
          <label htmlFor="rerun-input">Input (JSON)</label>
          <textarea id="rerun-input" rows={6} spellCheck={false} value={input} onChange={(e) => setInput(e.target.value)} />
          <button type="button" disabled={busy} onClick={rerunEdited}>
            Start run
          </button>
        </div>
      )}
      {waits.map((s) => (
        <SignalForm key={s.id} runId={run.id} name={s.name ?? s.id} onDone={props.onDone} />
      ))}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
