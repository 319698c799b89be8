/**
 * @module console/run/use-run-events
 * A run's history, kept up to date as it grows: loaded once, then, when the
 * stream reports a change of this run (at most every 300 ms) or the page
 * asks (after an action), only the events after the last one held
 * (`?after=seq`), so a run of thousands of steps is not read again at every
 * change.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunEvent } from '../api/types';
import { useSession } from '../session';

export function useRunEvents(runId: string): { events: RunEvent[]; refresh: () => void } {
  const { api, stream } = useSession();
  const [events, setEvents] = useState<RunEvent[]>([]);
  const more = useRef<() => void>(() => undefined);

  useEffect(() => {
    let live = true;
    let last = 0;
    let busy = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setEvents([]);
    const fetchMore = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const { events: got } = await api.get<{ events: RunEvent[] }>(`/api/runs/${encodeURIComponent(runId)}/events?after=${last}`);
        if (live && got.length > 0) {
          last = (got.at(-1) as RunEvent).seq;
          setEvents((old) => [...old, ...got]);
        }
      } catch {
        // the next change tries again
      } finally {
        busy = false;
      }
      if (live && again) {
        again = false;
        return fetchMore();
      }
    };
    more.current = () => void fetchMore();
    void fetchMore();
    const off = stream.on((e) => {
      if (e.data.runId !== runId || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        void fetchMore();
      }, 300);
    });
    return () => {
      live = false;
      more.current = () => undefined;
      off();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, stream, runId]);

  const refresh = useCallback(() => more.current(), []);
  return { events, refresh };
}
