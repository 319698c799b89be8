/**
 * @module cli/render/graph-format
 * A task graph as text (by layer), Mermaid or Graphviz dot.
 */
import { layers } from '../../core/dag.js';
import type { WorkflowDef } from '../../core/model.js';

export type GraphFormat = 'text' | 'mermaid' | 'dot';

const quote = (s: string) => JSON.stringify(s);

export function formatGraph(def: WorkflowDef, format: GraphFormat): string {
  const tasks = def.tasks;
  switch (format) {
    case 'mermaid': {
      const ids = new Map(tasks.map((t, i) => [t.id, `t${i}`]));
      const out = ['flowchart LR'];
      for (const t of tasks) out.push(`  ${ids.get(t.id)}[${quote(t.id)}]`);
      for (const t of tasks) for (const d of t.dependsOn) out.push(`  ${ids.get(d)} --> ${ids.get(t.id)}`);
      return out.join('\n') + '\n';
    }
    case 'dot': {
      const out = [`digraph ${quote(def.name)} {`, '  rankdir=LR;', '  node [shape=box];'];
      for (const t of tasks) out.push(`  ${quote(t.id)};`);
      for (const t of tasks) for (const d of t.dependsOn) out.push(`  ${quote(d)} -> ${quote(t.id)};`);
      out.push('}');
      return out.join('\n') + '\n';
    }
    case 'text': {
      const byId = new Map(tasks.map((t) => [t.id, t]));
      const out = [`${def.name}: ${tasks.length} task${tasks.length === 1 ? '' : 's'}`];
      layers(tasks).forEach((layer, i) => {
        out.push(`stage ${i + 1}`);
        for (const id of layer) {
          const t = byId.get(id);
          const deps = t && t.dependsOn.length > 0 ? `  <- ${t.dependsOn.join(', ')}` : '';
          const notes = [t?.if ? `if ${t.if}` : '', t?.rollback ? 'rollback' : '', t && t.retry.attempts > 1 ? `retries ${t.retry.attempts - 1}` : '']
            .filter(Boolean)
            .join(', ');
          out.push(`  ${id}${deps}${notes ? `  (${notes})` : ''}`);
        }
      });
      return out.join('\n') + '\n';
    }
  }
}
