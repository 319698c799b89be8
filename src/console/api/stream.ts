/**
 * @module console/api/stream
 * The server's event stream (GET /api/stream), read with fetch so the bearer
 * token goes in a header (EventSource cannot send one). Parses server-sent
 * events, hands each to the listeners, and reconnects by itself with
 * backoff (1 s doubling to 30 s, back to 1 s once connected).
 */

export interface LiveEvent {
  type: string;
  data: Record<string, unknown>;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export class EventStream {
  private listeners = new Set<(e: LiveEvent) => void>();
  private stateListeners = new Set<(s: StreamState) => void>();
  private controller = new AbortController();
  state: StreamState = 'connecting';

  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.controller.abort();
  }

  on(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: StreamState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private async loop(): Promise<void> {
    let delay = 1000;
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        const res = await fetch('/api/stream', { headers: { authorization: `Bearer ${this.token}` }, signal });
        if (res.status === 401) {
          // The token was revoked: no point in trying again.
          this.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        await this.read(res.body, () => {
          delay = 1000;
          this.setState('live');
        });
      } catch {
        // a dropped connection or a server restart: try again below
      }
      if (signal.aborted) return;
      this.setState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }

  private async read(body: ReadableStream<Uint8Array>, connected: () => void): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseBlock(block);
        if (!event) continue;
        if (event.type === 'hello') connected();
        else if (event.type !== 'ping') for (const l of this.listeners) l(event);
      }
    }
  }
}

/** One server-sent event block (`event:` and `data:` lines) as an event. */
export function parseBlock(block: string): LiveEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return undefined;
  try {
    return { type, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
