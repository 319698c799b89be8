import { describe, expect, it } from 'vitest';
import { Prefetch } from '../../src/engine/prefetch.js';

describe('Prefetch', () => {
  it('keeps `concurrency` prepared until processes prove to start often', () => {
    const p = new Prefetch(2);
    expect(p.depth).toBe(2);
    p.started(1000);
    expect(p.depth).toBe(2);
  });

  it('keeps more prepared for processes that start every millisecond or two, up to four times concurrency', () => {
    const p = new Prefetch(2);
    for (let t = 0; t < 100; t += 1) p.started(t);
    expect(p.depth).toBe(8);
    const wide = new Prefetch(8);
    for (let t = 0; t < 100; t += 1) wide.started(t);
    expect(wide.depth).toBe(20);
  });

  it('keeps `concurrency` prepared for steps that last longer than the time it covers', () => {
    const p = new Prefetch(4);
    for (let t = 0; t < 10_000; t += 500) p.started(t);
    expect(p.depth).toBe(4);
    // A burst of short steps after long ones raises it gradually, not at once.
    for (let t = 10_000; t < 10_005; t += 1) p.started(t);
    expect(p.depth).toBe(4);
  });
});
