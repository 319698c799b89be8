/**
 * @module test/spec/arbitraries
 * fast-check generators for workflow documents: valid ones (as plain objects,
 * in the list, map and seed forms), their serialisations to YAML and JSON,
 * and the mutations the property tests apply to them.
 */

import fc from 'fast-check';
import YAML from 'yaml';

export type Doc = Record<string, unknown> | unknown[];

const id = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}(-[a-z0-9]{1,3})?$/);
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/);
const word = fc.stringMatching(/^[a-z0-9./=-]{1,10}$/);
const text = fc
  .oneof(word, fc.string({ maxLength: 20 }), fc.constantFrom('a: b', "it's", 'x #y', '-1', 'true', '', ' lead', '{x}', 'é ☃ 𝄞'))
  .filter((t) => !t.includes('${{'));

const INPUTS = { env: { default: 'staging', enum: ['staging', 'prod'] }, count: 3, verbose: { type: 'boolean', default: false } };
const conditions = ["inputs.env == 'prod'", 'always()', 'failure() || inputs.verbose', '${{ inputs.count > 2 }}', 'true'];

/** A valid task list: each task depends only on earlier ones, so the graph has no cycle. */
const tasks = fc.uniqueArray(id, { minLength: 1, maxLength: 7 }).chain((ids) =>
  fc.tuple(
    ...ids.map((taskId, i) =>
      fc.record(
        {
          id: fc.constant(taskId),
          command: fc.oneof(word.map((w) => `echo ${w}`), fc.constant('echo ${{ inputs.env }} ${{ inputs.count }}'), text.filter((t) => !t.includes('${{') && t.trim() !== '')),
          dependsOn: fc.subarray(ids.slice(0, i)),
          retries: fc.nat(5),
          timeout: fc.constantFrom('5m', '30s', '1h30m', 10, '500ms'),
          env: fc.dictionary(envName, fc.oneof(text, fc.integer(), fc.boolean()), { maxKeys: 3 }),
          if: fc.constantFrom(...conditions),
          retry: fc.record({ backoff: fc.constantFrom('exponential', 'linear', 'fixed'), initial: fc.constantFrom('1s', 0, '250ms') }, { requiredKeys: [] }),
        },
        { requiredKeys: ['id', 'command'] },
      ),
    ),
  ),
);

/** A valid workflow document in one of its three forms. */
export const validDoc: fc.Arbitrary<Doc> = fc
  .record({
    tasks,
    form: fc.constantFrom('list', 'map', 'seed'),
    name: fc.option(word, { nil: undefined }),
    concurrency: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    env: fc.option(fc.dictionary(envName, text, { maxKeys: 2 }), { nil: undefined }),
  })
  .map(({ tasks, form, name, concurrency, env }) => {
    if (form === 'seed') return tasks.map((t) => ({ id: t.id, command: t.command.replaceAll('${{', '$ {{'), retries: t.retries ?? 0, dependsOn: t.dependsOn ?? [] }));
    const doc: Record<string, unknown> = { inputs: INPUTS };
    if (name !== undefined) doc.name = name;
    if (concurrency !== undefined) doc.concurrency = concurrency;
    if (env !== undefined) doc.env = env;
    doc.tasks = form === 'list' ? tasks : Object.fromEntries(tasks.map(({ id: key, ...rest }) => [key, rest]));
    return doc;
  });

export type Format = 'json' | 'yaml';

/** Text of a document in a format, in one of several styles. */
export function serialise(doc: unknown, format: Format, style: number): string {
  if (format === 'json') return JSON.stringify(doc, null, style % 3);
  const options = [{}, { indentSeq: false }, { indent: 4 }, { collectionStyle: 'flow' as const }, { defaultStringType: 'QUOTE_DOUBLE' as const }];
  return YAML.stringify(doc, options[style % options.length]);
}

const renames: Record<string, string> = { dependsOn: 'dependOn', command: 'comand', retries: 'retires', tasks: 'task', timeout: 'timout' };

/** A document mutation that must make a valid document invalid. */
export const breakDoc = fc.constantFrom<(doc: Doc) => Doc>(
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? { ...t, dependsOn: ['no-such-task'] } : t)),
  // a cycle: the first task and the last depend on each other (one task: on itself)
  (doc) => mapTasks(doc, (t, i, all) => (i === 0 ? { ...t, dependsOn: [all[all.length - 1]!.id] } : i === all.length - 1 ? { ...t, dependsOn: [all[0]!.id] } : t)),
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? { ...t, retries: 'two' } : t)),
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? { ...t, timeout: '5 minutes' } : t)),
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? { ...t, command: '${{ inputs.nope }}' } : t)),
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? { ...t, if: '1 + +' } : t)),
  (doc) => mapTasks(doc, (t, i) => (i === 0 ? renameKeys(t) : t)),
  (doc) => (Array.isArray(doc) ? [...doc, doc[0]] : { ...doc, concurrency: 0 }),
);

function renameKeys(task: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(task).map(([k, v]) => [renames[k] ?? k, v]).concat([['dependOn', []]]));
}

type Task = Record<string, unknown>;
function mapTasks(doc: Doc, f: (t: Task, i: number, all: Task[]) => Task): Doc {
  if (Array.isArray(doc)) return (doc as Task[]).map((t, i, all) => f(t, i, all));
  const tasks = doc.tasks;
  if (Array.isArray(tasks)) return { ...doc, tasks: (tasks as Task[]).map((t, i, all) => f(t, i, all)) };
  const entries = Object.entries(tasks as Record<string, Task>);
  const all = entries.map(([key, t]) => ({ id: key, ...t }));
  return { ...doc, tasks: Object.fromEntries(entries.map(([key, t], i) => [key, f(t, i, all)])) };
}

/** A text mutation: delete, insert or duplicate characters or lines. */
export const mutateText = fc.tuple(fc.nat(), fc.nat(20), fc.integer({ min: 0, max: 3 }), fc.string({ unit: fc.constantFrom(...':-[]{}"\'# \n${}\t,&*!|>?%@`\\'.split('')), minLength: 1, maxLength: 4 })).map(
  ([at, length, kind, insert]) =>
    (textIn: string): string => {
      const p = textIn.length === 0 ? 0 : at % textIn.length;
      if (kind === 0) return textIn.slice(0, p) + textIn.slice(p + length);
      if (kind === 1) return textIn.slice(0, p) + insert + textIn.slice(p);
      if (kind === 2) return textIn.slice(0, p) + insert + textIn.slice(p + length);
      const lines = textIn.split('\n');
      const l = at % lines.length;
      lines.splice(l, 0, lines[l] ?? '');
      return lines.join('\n');
    },
);
