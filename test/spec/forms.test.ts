import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/core/errors.js';
import { DEFAULT_RETRY, type WorkflowDef } from '../../src/core/model.js';
import { loadWorkflowFile, loadWorkflowText } from '../../src/spec/index.js';

function load(text: string, file = 'wf.yaml'): WorkflowDef {
  const result = loadWorkflowText(text, file);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.workflow;
}

const retry = (attempts: number, more: Partial<typeof DEFAULT_RETRY> = {}) => ({ ...DEFAULT_RETRY, attempts, ...more });

describe('forms', () => {
  it('takes the seed format, a bare JSON array of tasks, as it is', () => {
    const seed = JSON.stringify([
      { id: 'fetch', command: 'curl -O x', retries: 2, dependsOn: [] },
      { id: 'unpack', command: 'tar xf x', retries: 0, dependsOn: ['fetch'] },
    ]);
    expect(load(seed, 'pipeline.json')).toEqual({
      name: 'pipeline',
      inputs: {},
      env: {},
      secrets: [],
      failFast: false,
      tasks: [
        { id: 'fetch', command: 'curl -O x', dependsOn: [], retry: retry(3), env: {} },
        { id: 'unpack', command: 'tar xf x', dependsOn: ['fetch'], retry: retry(1), env: {} },
      ],
    });
  });

  it('accepts the seed aliases operation and dependencies, and dependsOn as one string', () => {
    const wf = load('- { id: a, operation: make }\n- { id: b, operation: test, dependencies: [a] }\n- { id: c, command: ship, dependsOn: b }\n');
    expect(wf.tasks.map((t) => [t.id, t.command, t.dependsOn])).toEqual([
      ['a', 'make', []],
      ['b', 'test', ['a']],
      ['c', 'ship', ['b']],
    ]);
  });

  it('takes tasks as a map keyed by id, with or without a matching id inside', () => {
    const wf = load('tasks:\n  build:\n    command: make\n  test:\n    id: test\n    dependsOn: [build, build]\n    args: [npm, test, 3, true]\n');
    expect(wf.tasks).toEqual([
      { id: 'build', command: 'make', dependsOn: [], retry: retry(1), env: {} },
      { id: 'test', args: ['npm', 'test', '3', 'true'], dependsOn: ['build'], retry: retry(1), env: {} },
    ]);
  });

  it('compiles the full form of DESIGN.md §4', () => {
    const wf = load(`name: release
description: ships it
inputs:
  env: { default: staging, enum: [staging, prod] }
env: { NODE_ENV: production, PORT: 8080, DEBUG: false }
secrets: [DEPLOY_TOKEN]
concurrency: 4
timeout: 1h
failFast: true
defaults: { retries: 1, timeout: 10m, env: { CI: "1" }, cwd: /srv }
on:
  schedule: [{ cron: "0 3 * * 1-5", timezone: Europe/Paris }]
tasks:
  - id: build
    name: Build it
    command: npm ci && npm run build
    retries: 2
    timeout: 5m
  - id: deploy
    dependsOn: [build]
    if: "inputs.env == 'prod'"
    command: ./deploy.sh \${{ inputs.env }}
    rollback: ./rollback.sh
    healthCheck: curl -fsS http://localhost:8080/health
    env: { CI: "0", TARGET: "\${{ inputs.env }}" }
    cwd: /srv/app
    retry: { backoff: linear, initial: 500ms, max: 30s, factor: 3, jitter: none, nonRetryableExitCodes: [2] }
`);
    expect(wf).toEqual({
      name: 'release',
      inputs: { env: { type: 'string', default: 'staging', enum: ['staging', 'prod'], required: false } },
      env: { NODE_ENV: 'production', PORT: '8080', DEBUG: 'false' },
      secrets: ['DEPLOY_TOKEN'],
      concurrency: 4,
      timeoutMs: 3_600_000,
      failFast: true,
      tasks: [
        { id: 'build', command: 'npm ci && npm run build', dependsOn: [], retry: retry(3), timeoutMs: 300_000, env: { CI: '1' }, cwd: '/srv' },
        {
          id: 'deploy',
          command: './deploy.sh ${{ inputs.env }}',
          dependsOn: ['build'],
          retry: { attempts: 2, backoff: 'linear', initialMs: 500, maxMs: 30_000, factor: 3, jitter: 'none', nonRetryableExitCodes: [2] },
          timeoutMs: 600_000,
          if: "inputs.env == 'prod'",
          env: { CI: '0', TARGET: '${{ inputs.env }}' },
          cwd: '/srv/app',
          rollback: './rollback.sh',
          healthCheck: 'curl -fsS http://localhost:8080/health',
        },
      ],
    });
  });

  it('compiles the on: block (schedules) for the server', () => {
    const result = loadWorkflowText('on: { schedule: { every: 1h } }\ntasks: [{ id: a, command: x }]\n', 'wf.yaml');
    expect(result.ok && result.triggers?.schedules.map((s) => [s.id, s.everyMs])).toEqual([['schedule-1', 3_600_000]]);
  });

  it('applies defaults field by field, the task winning', () => {
    const wf = load(`defaults:
  retry: { attempts: 4, backoff: fixed, initial: 2s }
  env: { A: "1", B: "1" }
tasks:
  - { id: a, command: x }
  - { id: b, command: x, retries: 0, env: { B: "2" }, retry: { initial: 0 } }
  - { id: c, command: x, retry: { attempts: 2, max: 1m } }
`);
    expect(wf.tasks.map((t) => [t.retry.attempts, t.retry.backoff, t.retry.initialMs, t.retry.maxMs, t.env])).toEqual([
      [4, 'fixed', 2000, 60_000, { A: '1', B: '1' }],
      [1, 'fixed', 0, 60_000, { A: '1', B: '2' }],
      [2, 'fixed', 2000, 60_000, { A: '1', B: '1' }],
    ]);
  });

  it('unwraps an if written as ${{ expr }}, and takes booleans', () => {
    const wf = load("tasks:\n  - { id: a, command: x, if: \"${{ inputs.q == 'x' }}\" }\n  - { id: b, command: x, if: false }\ninputs: { q: x }\n");
    expect(wf.tasks.map((t) => t.if)).toEqual(["inputs.q == 'x'", 'false']);
  });

  it('reads durations as text or seconds', () => {
    const wf = load('tasks:\n  - { id: a, command: x, timeout: 1h30m }\n  - { id: b, command: x, timeout: 90 }\n  - { id: c, command: x, timeout: 0.5 }\n');
    expect(wf.tasks.map((t) => t.timeoutMs)).toEqual([5_400_000, 90_000, 500]);
  });
});

describe('inputs', () => {
  it('infers types from defaults and enums, shorthand included', () => {
    const wf = load(`inputs:
  env: staging
  count: 3
  dry: false
  region:
  level: { enum: [1, 2, 3], description: how loud }
  name: { type: string, required: false }
tasks: [{ id: a, command: x }]
`);
    expect(wf.inputs).toEqual({
      env: { type: 'string', default: 'staging', required: false },
      count: { type: 'number', default: 3, required: false },
      dry: { type: 'boolean', default: false, required: false },
      region: { type: 'string', required: true },
      level: { type: 'number', enum: [1, 2, 3], description: 'how loud', required: true },
      name: { type: 'string', required: false },
    });
  });

  it('refuses defaults and enums that do not match the type', () => {
    const result = loadWorkflowText(
      'inputs:\n  a: { type: number, default: x }\n  b: { enum: [] }\n  c: { type: strin }\n  d: { default: 1, enum: [2, "3"] }\n  e: { typ: string }\n  "bad name": 1\ntasks: [{ id: a, command: x }]\n',
      'wf.yaml',
    );
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'wf.yaml:2:31: "inputs.a.default" must be a number, got "x"',
      'wf.yaml:3:14: "inputs.b.enum" must not be empty',
      'wf.yaml:4:14: "inputs.c.type" must be one of string, number, boolean, got "strin" — did you mean "string"?',
      'wf.yaml:5:17: default 1 is not one of 2',
      'wf.yaml:5:30: "inputs.d.enum[1]" must be a number, got "3"',
      'wf.yaml:6:8: unknown key "typ" — did you mean "type"?',
      'wf.yaml:7:3: input name "bad name" is not valid: use letters, digits, "_", "." and "-", starting with a letter or "_"',
    ]);
  });
});

describe('files and formats', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file: name from the file, source absolute', async () => {
    const path = join(dir, 'nightly.yml');
    await writeFile(path, '\ufefftasks:\n  - id: a\n    command: x\n');
    const result = await loadWorkflowFile(path);
    expect(result.ok && [result.workflow.name, result.workflow.source]).toEqual(['nightly', resolve(path)]);
  });

  it('reports a missing file or a directory at 1:1 with the path as given', async () => {
    expect(await loadWorkflowFile('no/such.yaml')).toEqual({ ok: false, problems: [{ file: 'no/such.yaml', line: 1, col: 1, message: 'cannot read the file: no such file' }] });
    const result = await loadWorkflowFile(dir);
    expect(!result.ok && result.problems[0]?.message).toBe('cannot read the file: it is a directory');
  });

  it('guesses the format of other extensions from the first character', () => {
    expect(load('[{"id": "a", "command": "x"}]', 'wf.txt').tasks).toHaveLength(1);
    expect(load('{tasks: [{id: a, command: x}]}', 'wf.conf').tasks).toHaveLength(1);
    expect(load('tasks: [{id: a, command: x}]', 'Batonfile').name).toBe('Batonfile');
    expect(loadWorkflowText('{tasks: [{id: a, command: x}]}', 'wf.json').ok).toBe(false);
  });
});
