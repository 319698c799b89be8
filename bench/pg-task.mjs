// The no-op job of bench/pg.mjs, for every contender: it only records that it
// ran, with a key naming the step/job and the time it was called. baton calls
// `noop` as a `function: .../pg-task.mjs#noop` task; the peers' handlers
// (bench/peers/peers.mjs) call `record` directly. The worker process that
// hosts it (bench/pg.mjs, mode `worker`) reports the count to the bench while
// it runs and the keys and times when it stops.
//
// Times are performance.timeOrigin + performance.now(): milliseconds since
// the epoch with sub-millisecond resolution, comparable across the processes
// of one machine.

const state = (globalThis.__batonPgBench ??= { keys: [], times: [] });

export const now = () => performance.timeOrigin + performance.now();

export function record(key) {
  state.times.push(now());
  state.keys.push(key);
}

export const recorded = () => state;

/** baton: `function: bench/pg-task.mjs#noop`; the key is RUN/STEP. */
export function noop(_input, ctx) {
  record(`${ctx.runId}/${ctx.stepId}`);
}
