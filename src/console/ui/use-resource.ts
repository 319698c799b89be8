/**
 * @module console/ui/use-resource
 * Loads data for a page, and loads it again when the event stream says it
 * changed (at most every 300 ms, so a busy graph does not flood the server).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LiveEvent } from '../api/stream';
import { useSession } from '../session';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
}

export function useResource<T>(load: () => Promise<T>, deps: unknown[], changed?: (e: LiveEvent) => boolean): Resource<T> {
  const { stream } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const changedRef = useRef(changed);
  changedRef.current = changed;

  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
      },
      (e: unknown) => live && setError(e as Error),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = stream.on((e) => {
      if (timer !== undefined || !changedRef.current?.(e)) return;
      timer = setTimeout(() => {
        timer = undefined;
        setTick((t) => t + 1);
      }, 300);
    });
    return () => {
      off();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [stream]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}
