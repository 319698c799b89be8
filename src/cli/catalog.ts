/**
 * @module cli/catalog
 * The workflows a server serves: every workflow file (`.yaml`, `.yml`,
 * `.json`) and every module exporting a code workflow (`.ts`, `.mts`, `.js`,
 * `.mjs`) under a folder. A file with problems is left out and its problems
 * kept (the server reports them); a module exporting no workflow (a helper)
 * is skipped quietly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BatonError, formatProblem } from '../core/errors.js';
import type { WorkflowDef } from '../core/model.js';
import type { CodeWorkflowRef } from '../core/workflow-code.js';
import type { WorkflowCatalog, WorkflowEntry } from '../server/app.js';
import { parseInputFlags } from './inputs.js';
import { codeDefinition, submitRun, type SubmitOptions } from './remote-run.js';
import type { Store } from '../store/store.js';

interface Loaded {
  entry: WorkflowEntry;
  definition: WorkflowDef | CodeWorkflowRef;
}

export class FolderCatalog implements WorkflowCatalog {
  private readonly byName = new Map<string, Loaded>();
  readonly problems: string[] = [];

  /** Options every run submitted from here gets (the server's `--max-runs`). */
  private readonly defaults: SubmitOptions = {};

  private constructor(readonly folder: string) {}

  /** Every run submitted from now on passes the gate of all runs (`baton server --max-runs N`). */
  limitRuns(maxRuns: number): void {
    this.defaults.maxRuns = maxRuns;
  }

  static async load(folder: string): Promise<FolderCatalog> {
    const root = resolve(folder);
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new BatonError('NOT_FOUND', `no folder ${folder} (baton server serves the workflows in a folder)`);
    const catalog = new FolderCatalog(root);
    const [{ loadWorkflowFile }, { loadCodeWorkflow }] = await Promise.all([import('../spec/index.js'), import('../spec/load-code.js')]);
    for (const file of filesUnder(root)) {
      const shown = relative(root, file);
      if (/\.(ya?ml|json)$/.test(file)) {
        const result = await loadWorkflowFile(file);
        if (!result.ok) {
          catalog.problems.push(...result.problems.map((p) => formatProblem(p)));
          continue;
        }
        const def = result.workflow;
        catalog.add(shown, { name: def.name, kind: 'file', file: shown, source: readFileSync(file, 'utf8'), inputs: def.inputs, tasks: def.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn })), schedules: result.triggers?.schedules ?? [], events: result.triggers?.events ?? [], alerts: result.triggers?.alerts ?? [], ...(def.quietHours ? { quietHours: def.quietHours } : {}) }, def);
      } else if (/\.(m?ts|m?js)$/.test(file) && !file.endsWith('.d.ts')) {
        try {
          const wf = await loadCodeWorkflow(file);
          catalog.add(shown, { name: wf.name, kind: 'code', file: shown, source: readFileSync(file, 'utf8'), inputs: {}, tasks: [], schedules: [], events: [], alerts: [] }, codeDefinition(wf, file));
        } catch (error) {
          if (!/exports no workflow/.test((error as Error).message)) catalog.problems.push(`${shown}: ${(error as Error).message}`);
        }
      }
    }
    return catalog;
  }

  private add(shown: string, entry: WorkflowEntry, definition: WorkflowDef | CodeWorkflowRef): void {
    const other = this.byName.get(entry.name);
    if (other) {
      this.problems.push(`${shown}: workflow "${entry.name}" is also defined in ${other.entry.file}; the first one is served`);
      return;
    }
    this.byName.set(entry.name, { entry, definition });
  }

  list(): WorkflowEntry[] {
    return [...this.byName.values()].map((l) => l.entry).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): WorkflowEntry | undefined {
    return this.byName.get(name)?.entry;
  }

  /** The file workflows' definitions. */
  fileDefinitions(): WorkflowDef[] {
    return [...this.byName.keys()].flatMap((name) => this.definition(name) ?? []);
  }

  /** A file workflow's definition (its secrets' names, for masking). */
  definition(name: string): WorkflowDef | undefined {
    const d = this.byName.get(name)?.definition;
    return d && !('kind' in d && d.kind === 'code') ? (d as WorkflowDef) : undefined;
  }

  /** A new run of a workflow, for the workers: its inputs checked as `baton run --input` checks them. */
  async submit(store: Store, name: string, input: unknown, options: SubmitOptions = {}): Promise<string> {
    const loaded = this.byName.get(name);
    if (!loaded) throw new BatonError('NOT_FOUND', `no workflow "${name}"`);
    if (loaded.entry.kind === 'code') return submitRun(store, loaded.definition, input ?? {}, { ...this.defaults, ...options });
    if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
      throw new BatonError('INVALID_INPUT', 'input must be an object of input names to values');
    }
    const given = Object.entries((input ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    const { resolveInputs } = await import('../spec/index.js');
    const resolved = resolveInputs(loaded.definition as WorkflowDef, parseInputFlags(given));
    if (!resolved.ok) throw new BatonError('INVALID_INPUT', resolved.errors.join('; '));
    return submitRun(store, loaded.definition, resolved.values, { ...this.defaults, ...options });
  }
}

function* filesUnder(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}
