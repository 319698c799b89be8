import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadWorkflowText } from '../../src/spec/index.js';
import { SCHEMA_KEYS, workflowFileSchema, workflowJsonSchema } from '../../src/spec/schema.js';
import { DEFAULTS_KEYS, RETRY_KEYS, TASK_KEYS, WORKFLOW_KEYS } from '../../src/spec/format.js';
import { serialise, validDoc } from './arbitraries.js';

describe('schema', () => {
  it('is on disk as it is generated (run `npm run build && npm run schema` after changing it)', () => {
    const onDisk = readFileSync(new URL('../../schema/workflow.schema.json', import.meta.url), 'utf8');
    expect(onDisk).toBe(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
  });

  it('accepts every document the loader accepts', () => {
    fc.assert(
      fc.property(validDoc, (doc) => {
        expect(loadWorkflowText(serialise(doc, 'json', 0), 'wf.json')).toMatchObject({ ok: true });
        expect(workflowFileSchema.safeParse(doc).error).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['an unknown key', { tasks: [{ id: 'a', command: 'x', dependOn: [] }] }],
    ['retries as text', [{ id: 'a', command: 'x', retries: 'two' }]],
    ['a bad duration', { timeout: '5 minutes', tasks: [{ id: 'a', command: 'x' }] }],
    ['a bad id', { tasks: { '9x': { command: 'x' } } }],
    ['no tasks', { name: 'x' }],
    ['a bad backoff', [{ id: 'a', command: 'x', retry: { backoff: 'expo' } }]],
    ['a bad env name', { env: { 'A B': 'x' }, tasks: [{ id: 'a', command: 'x' }] }],
  ])('and the loader refuse %s', (_name, doc) => {
    expect(workflowFileSchema.safeParse(doc).success).toBe(false);
    expect(loadWorkflowText(JSON.stringify(doc), 'wf.json').ok).toBe(false);
  });
});

describe('key lists', () => {
  it('the zod-free key lists used at run time match the zod shapes', () => {
    expect([...WORKFLOW_KEYS].sort()).toEqual([...SCHEMA_KEYS.workflow].sort());
    expect([...TASK_KEYS].sort()).toEqual([...SCHEMA_KEYS.task].sort());
    expect([...RETRY_KEYS].sort()).toEqual([...SCHEMA_KEYS.retry].sort());
    expect([...DEFAULTS_KEYS].sort()).toEqual([...SCHEMA_KEYS.defaults].sort());
  });
});
