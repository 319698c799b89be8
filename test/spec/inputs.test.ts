import { describe, expect, it } from 'vitest';
import type { WorkflowDef } from '../../src/core/model.js';
import { loadWorkflowText, resolveInputs } from '../../src/spec/index.js';

function workflow(inputs: string): WorkflowDef {
  const result = loadWorkflowText(`inputs:\n${inputs}\ntasks: [{ id: a, command: x }]\n`, 'wf.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.workflow;
}

describe('resolveInputs', () => {
  const def = workflow(`  env: { default: staging, enum: [staging, prod] }
  count: { type: number, default: 2 }
  dry: { type: boolean }
  ratio: { enum: [0.5, 1] }
  note: { type: string, required: false }
  region: { description: where to deploy }`);

  it('coerces to the declared types and applies defaults', () => {
    expect(resolveInputs(def, { dry: 'TRUE', ratio: ' 0.5 ', region: 'eu' })).toEqual({
      ok: true,
      values: { env: 'staging', count: 2, dry: true, ratio: 0.5, region: 'eu' },
    });
    expect(resolveInputs(def, { env: 'prod', count: '-3', dry: 'false', ratio: '1', region: '', note: 'x=y' })).toEqual({
      ok: true,
      values: { env: 'prod', count: -3, dry: false, ratio: 1, region: '', note: 'x=y' },
    });
  });

  it('reports every wrong value, missing required input and unknown name', () => {
    expect(resolveInputs(def, { env: 'qa', count: 'two', dry: 'maybe', ratio: '2', envv: 'x', zzz: '1' })).toEqual({
      ok: false,
      errors: [
        'unknown input "envv" — did you mean "env"?',
        'unknown input "zzz" (inputs: env, count, dry, ratio, note, region)',
        'input "env": "qa" is not one of staging, prod',
        'input "count": "two" is not a number',
        'input "dry": "maybe" is not true or false',
        'input "ratio": "2" is not one of 0.5, 1',
        'input "region" is required (where to deploy): pass --input region=...',
      ],
    });
  });

  it('refuses any input for a workflow without inputs', () => {
    const none = loadWorkflowText('[{"id": "a", "command": "x"}]', 'wf.json');
    expect(none.ok && resolveInputs(none.workflow, { x: '1' })).toEqual({ ok: false, errors: ['unknown input "x" (this workflow has no inputs)'] });
  });

  it('does not take a number from an empty or non-finite string', () => {
    const n = workflow('  n: 1');
    for (const bad of ['', ' ', 'Infinity', '1e999', '0x', 'NaN']) {
      expect(resolveInputs(n, { n: bad }).ok, bad).toBe(false);
    }
    expect(resolveInputs(n, { n: '1e3' })).toEqual({ ok: true, values: { n: 1000 } });
  });
});
