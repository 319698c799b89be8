/**
 * @module triggers/events
 * Event triggers: an event (`{type, data}`, posted to the API or made by the
 * server when a run ends: run.succeeded, run.failed) starts a run of every
 * workflow with an `on.event` of that type whose condition holds; the run's
 * input is the trigger's, with `${{ event.data.x }}` replaced.
 */
import type { ExpressionHost, ExprContext } from '../core/expressions.js';
import type { EventTriggerDef } from '../core/schedule.js';

export interface BatonEvent {
  type: string;
  data: unknown;
}

export interface EventSubscriber {
  workflow: string;
  events: EventTriggerDef[];
}

export interface Match {
  workflow: string;
  input: Record<string, unknown>;
}

/** The runs an event starts: one per workflow (its first trigger that matches). Problems (a condition that fails) go to `warn`. */
export function matchEvent(subscribers: readonly EventSubscriber[], event: BatonEvent, expr: ExpressionHost, warn: (m: string) => void): Match[] {
  const ctx: ExprContext = { inputs: {}, env: {}, secrets: {}, tasks: {}, event };
  const out: Match[] = [];
  for (const { workflow, events } of subscribers) {
    for (const trigger of events) {
      if (trigger.type !== event.type) continue;
      try {
        if (trigger.if !== undefined && !expr.evaluateCondition(trigger.if, ctx, { upstreamOk: true, upstreamFailed: false, cancelled: false })) continue;
        out.push({ workflow, input: render(trigger.input, (text) => expr.renderTemplate(text, ctx, 'raw')) as Record<string, unknown> });
        break;
      } catch (error) {
        warn(`workflow ${workflow}: on.event ${trigger.type}: ${(error as Error).message}`);
      }
    }
  }
  return out;
}

function render(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === 'string') return value.includes('${{') ? text(value) : value;
  if (Array.isArray(value)) return value.map((v) => render(v, text));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, text)]));
  return value;
}
