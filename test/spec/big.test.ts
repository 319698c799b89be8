import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/core/errors.js';
import { loadWorkflowText } from '../../src/spec/index.js';

/** 100,000 tasks in 10 layers; each task depends on 2 tasks of the layer above. No timing here: see the report. */
const LAYERS = 10;
const WIDTH = 10_000;
const dep = (layer: number, i: number): [string, string] => [`t${layer - 1}_${i}`, `t${layer - 1}_${(i + 1) % WIDTH}`];

function bigYaml(): string {
  const lines = ['name: big', 'tasks:'];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < WIDTH; i++) {
      lines.push(`  - id: t${layer}_${i}`, `    command: echo ${layer} ${i}`);
      if (layer > 0) lines.push('    dependsOn:', ...dep(layer, i).map((d) => `      - ${d}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function bigJson(): string {
  const tasks: object[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < WIDTH; i++) tasks.push({ id: `t${layer}_${i}`, command: `echo ${layer} ${i}`, ...(layer > 0 ? { dependsOn: dep(layer, i) } : {}) });
  }
  return JSON.stringify({ name: 'big', tasks }, null, 2);
}

describe('a 100,000-task workflow', () => {
  it.each([
    ['YAML', 'big.yaml', bigYaml],
    ['JSON', 'big.json', bigJson],
  ])('loads from %s, and places a problem planted at its end', (_format, file, make) => {
    const text = make();
    const result = loadWorkflowText(text, file);
    expect(result.ok && result.workflow.tasks.length).toBe(LAYERS * WIDTH);
    expect(result.ok && result.workflow.tasks.at(-1)?.dependsOn).toEqual(['t8_9999', 't8_0']);

    const at = text.lastIndexOf('t8_9999');
    const broken = `${text.slice(0, at)}t8_99999${text.slice(at + 't8_9999'.length)}`;
    const line = text.slice(0, at).split('\n').length;
    const bad = loadWorkflowText(broken, file);
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line}:\\d+: unknown dependency "t8_99999" — did you mean "t8_9999"\\?$`)),
    ]);
  });
});
