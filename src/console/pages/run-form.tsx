/**
 * @module console/pages/run-form
 * "Run now": a form made from the workflow's declared inputs (a choice for an
 * enum, a checkbox for a boolean, a number field, a text field), or a JSON
 * box for a code workflow, which declares none. The server checks the values
 * as `baton run --input` does and its message is shown as it is.
 */
import { useState, type FormEvent } from 'react';
import type { InputDef, Workflow } from '../api/types';
import { navigate } from '../router';
import { useSession } from '../session';

type Values = Record<string, string | boolean>;

function initial(inputs: Record<string, InputDef>): Values {
  const v: Values = {};
  for (const [name, def] of Object.entries(inputs)) v[name] = def.type === 'boolean' ? def.default === true : def.default === undefined ? '' : String(def.default);
  return v;
}

export function RunForm(props: { workflow: Workflow }) {
  const { api } = useSession();
  const inputs = props.workflow.inputs;
  const names = Object.keys(inputs);
  const [values, setValues] = useState<Values>(() => initial(inputs));
  const [json, setJson] = useState('{}');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    let input: unknown;
    if (props.workflow.kind === 'code') {
      try {
        input = JSON.parse(json);
      } catch (error) {
        setProblem(`The input is not JSON: ${(error as Error).message}`);
        return;
      }
    } else {
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const def = inputs[name] as InputDef;
        const v = values[name];
        if (def.type === 'boolean') out[name] = v === true;
        else if (v !== '' && v !== undefined) out[name] = def.type === 'number' ? Number(v) : v;
      }
      input = out;
    }
    setBusy(true);
    try {
      const { runId } = await api.post<{ runId: string }>(`/api/workflows/${encodeURIComponent(props.workflow.name)}/runs`, { input });
      navigate(`/runs/${encodeURIComponent(runId)}`);
    } catch (error) {
      setProblem((error as Error).message);
      setBusy(false);
    }
  };

  return (
    <form className="run-form" onSubmit={(e) => void submit(e)} aria-label={`Run ${props.workflow.name} now`}>
      {props.workflow.kind === 'code' ? (
        <>
          <label htmlFor="run-input">Input (JSON)</label>
          <textarea id="run-input" rows={5} spellCheck={false} value={json} onChange={(e) => setJson(e.target.value)} />
        </>
      ) : (
        names.map((name) => <Field key={name} name={name} def={inputs[name] as InputDef} value={values[name] ?? ''} onChange={(v) => setValues({ ...values, [name]: v })} />)
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Run now
      </button>
    </form>
  );
}

function Field(props: { name: string; def: InputDef; value: string | boolean; onChange: (v: string | boolean) => void }) {
  const { name, def } = props;
  const id = `input-${name}`;
  const label = (
    <>
      <span className="mono">{name}</span>
      {def.required ? ' (required)' : ''}
      {def.description ? <span className="muted"> — {def.description}</span> : null}
    </>
  );
  if (def.type === 'boolean') {
    return (
      <div className="field check">
        <input id={id} type="checkbox" checked={props.value === true} onChange={(e) => props.onChange(e.target.checked)} />
        <label htmlFor={id}>{label}</label>
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {def.enum ? (
        <select id={id} value={String(props.value)} onChange={(e) => props.onChange(e.target.value)}>
          {!def.required && def.default === undefined && <option value="">(none)</option>}
          {def.enum.map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} type={def.type === 'number' ? 'number' : 'text'} required={def.required} value={String(props.value)} onChange={(e) => props.onChange(e.target.value)} />
      )}
    </div>
  );
}
