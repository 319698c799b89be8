/**
 * @module console/metrics/use-samples
 * Reads GET /metrics now, a second later, and every 5 seconds while the page is open, keeping
 * the last 30 minutes of readings, so counters become rates over time and
 * gauges (queue depth) become lines.
 */
import { useEffect, useState } from 'react';
import { useSession } from '../session';
import { parsePrometheus, type Sample } from './prometheus';

export interface Reading {
  at: number;
  samples: Sample[];
}

const EVERY_MS = 5000;
const KEEP = 360;

export function useSamples(): { readings: Reading[]; error: string | undefined } {
  const { api } = useSession();
  const [readings, setReadings] = useState<Reading[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const read = async () => {
      try {
        const res = await fetch('/metrics', { headers: api.headers });
        if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
        const samples = parsePrometheus(await res.text());
        if (!live) return;
        setError(undefined);
        setReadings((old) => [...old, { at: Date.now(), samples }].slice(-KEEP));
      } catch (e) {
        if (live) setError((e as Error).message);
      }
    };
    // A second reading soon after the first, so rates (which need two) show at once.
    void read();
    const soon = setTimeout(() => void read(), 1000);
    const timer = setInterval(() => void read(), EVERY_MS);
    return () => {
      live = false;
      clearTimeout(soon);
      clearInterval(timer);
    };
  }, [api]);
  return { readings, error };
}
