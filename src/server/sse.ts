/**
 * @module server/sse
 * Server-sent events: run and step changes as they happen. On a store of its
 * own, the server's engine sees every change; on a shared one (PostgreSQL),
 * the changes come from the store's history (store-feed.ts), whichever
 * server or worker made them.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EngineEventMap } from '../core/events.js';
import type { Engine } from '../engine/engine.js';
import type { StoreFeed } from './store-feed.js';

const STREAMED: Array<keyof EngineEventMap> = ['run:queued', 'run:started', 'step:started', 'step:finished', 'step:cancelled', 'run:finished'];

/** Server-sent events: this server's run and step changes as they happen; a comment every 15 s keeps proxies from closing it. */
export function stream(c: Context, engine: Engine, feed?: StoreFeed): Response {
  return streamSSE(c, async (sse) => {
    let id = 0;
    const queue: Array<{ event: string; data: string }> = [];
    let wake: (() => void) | undefined;
    const push = (event: string, payload: unknown): void => {
      queue.push({ event, data: JSON.stringify(payload) });
      wake?.();
    };
    const offs = feed ? [feed.on((e) => push(e.name, e.payload))] : STREAMED.map((name) => engine.on(name, (payload) => push(name, payload)));
    const ping = setInterval(() => {
      queue.push({ event: 'ping', data: '{}' });
      wake?.();
    }, 15_000);
    sse.onAbort(() => {
      for (const off of offs) off();
      clearInterval(ping);
      wake?.();
    });
    await sse.writeSSE({ event: 'hello', data: JSON.stringify({ at: Date.now() }), id: String(id++) });
    while (!c.req.raw.signal.aborted && !sse.aborted) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      for (const m of queue.splice(0)) await sse.writeSSE({ ...m, id: String(id++) });
    }
  });
}

