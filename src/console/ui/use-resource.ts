/**
 * @module console/ui/use-resource
 * Loads data for a page, and loads it again when the event stream says it
 * changed: one load at a time, and never sooner than 300 ms, or twice the
 * last load's time, after the last one ended. A busy 1,000-task run thus
 * refreshes as fast as the server and the page can keep up, and no faster.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LiveEvent } from '../api/stream';
import { useSession } from '../session';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
}

const MIN_GAP_MS = 300;

export function useResource<T>(load: () => Promise<T>, deps: unknown[], changed?: (e: LiveEvent) => boolean): Resource<T> {
  const { stream } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const changedRef = useRef(changed);
  changedRef.current = changed;
  // Pacing of live reloads: whether one is under way, whether a change came meanwhile, how long the last took.
  const pace = useRef({ loading: false, dirty: false, lastMs: 0, endedAt: 0 });
  const wake = useRef<() => void>(() => undefined);

  useEffect(() => {
    let live = true;
    const started = performance.now();
    pace.current.loading = true;
    const done = () => {
      pace.current.loading = false;
      pace.current.lastMs = performance.now() - started;
      pace.current.endedAt = performance.now();
      if (pace.current.dirty) wake.current();
    };
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
        done();
      },
      (e: unknown) => {
        if (!live) return;
        setError(e as Error);
        done();
      },
    );
    return () => {
      live = false;
    };
    // The caller's deps, and a reload asked for.
  }, [...deps, tick]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      const p = pace.current;
      p.dirty = true;
      if (timer !== undefined || p.loading) return;
      const wait = Math.max(0, Math.max(MIN_GAP_MS, 2 * p.lastMs) - (performance.now() - p.endedAt));
      timer = setTimeout(() => {
        timer = undefined;
        p.dirty = false;
        setTick((t) => t + 1);
      }, wait);
    };
    wake.current = schedule;
    const off = stream.on((e) => {
      if (changedRef.current?.(e)) schedule();
    });
    return () => {
      off();
      wake.current = () => undefined;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [stream]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}
