/**
 * @module console/run/signal-form
 * A run waits for a signal: approve it with a JSON payload, or reject it
 * (the payload `false`, as `baton signal RUN NAME false` would send).
 */
import { useState } from 'react';
import { useSession } from '../session';

export function SignalForm(props: { runId: string; name: string; onDone: () => void }) {
  const { api } = useSession();
  const [payload, setPayload] = useState('true');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const fieldId = `signal-${props.name}`;

  const send = async (value: unknown) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await api.post(`/api/runs/${encodeURIComponent(props.runId)}/signals/${encodeURIComponent(props.name)}`, { payload: value });
      props.onDone();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const approve = () => {
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch (error) {
      setProblem(`The payload is not JSON: ${(error as Error).message}`);
      return;
    }
    void send(value);
  };

  return (
    <form className="signal" onSubmit={(e) => e.preventDefault()} aria-label={`Signal ${props.name}`}>
      <p>
        Waiting for the signal <strong className="mono">{props.name}</strong>.
      </p>
      <label htmlFor={fieldId}>Payload (JSON) sent with Approve</label>
      <textarea id={fieldId} rows={3} spellCheck={false} value={payload} onChange={(e) => setPayload(e.target.value)} />
      <div className="buttons">
        <button type="button" disabled={busy} onClick={approve}>
          Approve
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void send(false)}>
          Reject
        </button>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
