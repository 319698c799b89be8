/**
 * @module console/run/use-logs
 * A run's log lines for one step and attempt (or all), streaming while the
 * run goes: after the first load, every second it asks for the lines after
 * the last one it has (`?after=seq`), so nothing is read twice.
 */
import { useEffect, useState } from 'react';
import { query } from '../api/client';
import type { LogLine } from '../api/types';
import { useSession } from '../session';

const MAX_LINES = 20_000;

export function useLogs(runId: string, step: string, attempt: string, running: boolean): { lines: LogLine[]; error: string | undefined } {
  const { api } = useSession();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    let after = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLines([]);
    const fetchMore = async () => {
      try {
        const q = query({ step, attempt, after, limit: 5000 });
        const { lines: more } = await api.get<{ lines: LogLine[] }>(`/api/runs/${encodeURIComponent(runId)}/logs${q}`);
        if (!live) return;
        setError(undefined);
        if (more.length > 0) {
          after = (more.at(-1) as LogLine).seq;
          setLines((old) => [...old, ...more].slice(-MAX_LINES));
          // A full page: there is more right now.
          if (more.length === 5000) return fetchMore();
        }
      } catch (e) {
        if (live) setError((e as Error).message);
      }
      if (live && running) timer = setTimeout(() => void fetchMore(), 1000);
    };
    void fetchMore();
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, runId, step, attempt, running]);

  return { lines, error };
}
