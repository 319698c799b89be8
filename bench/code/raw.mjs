// The raw baseline (in the child process): better-sqlite3 doing the writes that
// baton's journal does for the scenario, timed, then checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS, check, latencyStats } from './common.mjs';

export async function runRaw(scenario, durability, db, { steps, shape, prof }) {
  const { default: Database } = await import('better-sqlite3');
  const { fdatasync, openSync, closeSync } = await import('node:fs');
  const sqlite = new Database(db);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const files = readdirSync(MIGRATIONS)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  for (const f of files) sqlite.transaction(() => sqlite.exec(readFileSync(join(MIGRATIONS, f), 'utf8'))).immediate();

  const p = (sql) => sqlite.prepare(sql);
  // Verbatim from src/store/sqlite/journal.ts and transitions.ts.
  const s = {
    owner: p(`SELECT owner FROM runs WHERE id = ?`),
    upsertDone: p(`INSERT INTO steps (run_id, id, kind, name, status, attempt, failures, deps_unmet, depends_on,
          result, error, ready_at, started_at, finished_at, completed_seq, ord)
        VALUES (?, ?, ?, ?, ?, ?, ?, 0, '[]', ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
        failures = steps.failures + excluded.failures, result = excluded.result, error = excluded.error,
        ready_at = excluded.ready_at, started_at = COALESCE(steps.started_at, excluded.started_at),
        finished_at = excluded.finished_at, completed_seq = excluded.completed_seq
      WHERE steps.status IN ('ready', 'retrying', 'running')`),
    insertAttemptDone: p(`INSERT OR REPLACE INTO attempts (run_id, step_id, attempt, status, owner, started_at, finished_at, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    event: p(`INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (?, ?, ?, ?, ?, ?)`),
    insertRun: p(`INSERT INTO runs (id, workflow, status, created_at, started_at, owner, open_steps, parent_id)
        VALUES (?, ?, 'running', ?, ?, ?, ?, ?)`),
    insertPayload: p(`INSERT INTO run_payloads (run_id, input, definition) VALUES (?, ?, ?)`),
    setRunStatus: p(`UPDATE runs SET status = ?, error = ?, then_status = ?, wake_at = ?,
          finished_at = CASE WHEN ? IN ('succeeded', 'failed', 'cancelled', 'timed_out') THEN ? ELSE NULL END
        WHERE id = ? AND status IN (SELECT value FROM json_each(?)) RETURNING id`),
    setResult: p(`UPDATE run_payloads SET result = ? WHERE run_id = ?`),
    begin: p('BEGIN IMMEDIATE'),
    commit: p('COMMIT'),
  };
  const OWNER = `bench:${process.pid}`;
  const owns = (runId) => {
    if (s.owner.get(runId)?.owner !== OWNER) throw new Error(`run ${runId} not owned`);
  };
  const createRun = (runId, workflow, input) => {
    const now = Date.now();
    s.insertRun.run(runId, workflow, now, now, OWNER, 0, null);
    s.insertPayload.run(runId, JSON.stringify(input), JSON.stringify({ kind: 'code', name: workflow, workdir: process.cwd() }));
    s.event.run(runId, now, 'run:started', null, null, JSON.stringify({ workflow, steps: 0 }));
  };
  const finishRun = (runId, result) => {
    const now = Date.now();
    if (!s.setRunStatus.get('succeeded', null, null, null, 'succeeded', now, runId, '["running","waiting"]')) throw new Error('setRunStatus refused');
    s.setResult.run(result, runId);
    s.event.run(runId, now, 'run:succeeded', null, null, null);
  };
  const recordStep = (runId, key, position) => {
    owns(runId);
    const now = Date.now();
    const seq = Number(s.event.run(runId, now, 'step:succeeded', key, 1, null).lastInsertRowid);
    const done = s.upsertDone.run(runId, key, 'step', key.replace(/#\d+$/, ''), 'succeeded', 1, 0, 'null', null, null, now, now, seq, position);
    if (done.changes === 0) throw new Error(`record ${key} refused`);
    s.insertAttemptDone.run(runId, key, 1, 'succeeded', OWNER, now, now, null);
  };
  // One transaction; for `full`, then an fdatasync of the WAL off the event loop (as wal-sync.ts).
  let fd;
  const fsync = promisify(fdatasync);
  const tx = (fn) => {
    s.begin.run();
    try {
      fn();
      s.commit.run();
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
    if (durability !== 'full') return undefined;
    fd ??= openSync(`${db}-wal`, 'r');
    return fsync(fd);
  };
  const occurrences = new Map();
  const keyOf = (name) => {
    const n = (occurrences.get(name) ?? 0) + 1;
    occurrences.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  };
  const runIdOf = (i) => `${Date.now().toString(36).padStart(9, '0')}bench${String(i).padStart(2, '0')}`;
  const verify = (runId, expectedSteps, expectedResult) => {
    const run = sqlite.prepare('SELECT r.status, p.result FROM runs r JOIN run_payloads p ON p.run_id = r.id WHERE r.id = ?').get(runId);
    check(run?.status === 'succeeded', `raw run ${runId} is ${run?.status}`);
    check(expectedResult === undefined || run.result === expectedResult, `raw run ${runId} result ${run.result}, expected ${expectedResult}`);
    const { n, total } = sqlite
      .prepare(`SELECT count(*) FILTER (WHERE status = 'succeeded' AND attempt = 1) AS n, count(*) AS total FROM steps WHERE run_id = ?`)
      .get(runId);
    check(n === expectedSteps && total === expectedSteps, `raw run ${runId}: ${n} of ${total} steps succeeded, expected ${expectedSteps}`);
    const attempts = sqlite.prepare(`SELECT count(*) AS n FROM attempts WHERE run_id = ? AND status = 'succeeded'`).get(runId).n;
    check(attempts === expectedSteps, `raw run ${runId}: ${attempts} attempts succeeded, expected ${expectedSteps}`);
  };

  let out;
  if (scenario === 'chain') {
    const runId = runIdOf(0);
    await prof.start();
    await tx(() => createRun(runId, 'bench-chain', steps));
    const times = new Array(steps + 1);
    times[0] = performance.now();
    for (let i = 0; i < steps; i++) {
      const key = keyOf('s');
      const synced = tx(() => {
        recordStep(runId, key, i);
      });
      if (synced) await synced;
      times[i + 1] = performance.now();
    }
    await tx(() => finishRun(runId, 'null'));
    await prof.stop();
    out = latencyStats(times);
    verify(runId, steps);
  } else if (scenario === 'throughput') {
    const [runs, batches, size] = shape;
    await prof.start();
    const t0 = performance.now();
    const ids = Array.from({ length: runs }, (_, r) => runIdOf(r));
    const keys = ids.map(() => new Map());
    const keyIn = (r, name) => {
      const m = keys[r];
      const n = (m.get(name) ?? 0) + 1;
      m.set(name, n);
      return n === 1 ? name : `${name}#${n}`;
    };
    await tx(() => ids.forEach((id) => createRun(id, 'bench-throughput', { batches, size })));
    let position = 0;
    for (let b = 0; b < batches; b++) {
      // One commit per batch: every run's batch, begins then ends, like the group commit.
      await tx(() => {
        for (let r = 0; r < runs; r++) {
          for (let i = 0; i < size; i++) recordStep(ids[r], keyIn(r, 's'), position + i);
        }
      });
      position += size;
    }
    await tx(() => ids.forEach((id) => finishRun(id, String(batches * size))));
    const ms = performance.now() - t0;
    await prof.stop();
    out = { ms, steps: runs * batches * size, stepsPerSec: (runs * batches * size * 1000) / ms };
    for (const id of ids) verify(id, batches * size, String(batches * size));
  } else if (scenario === 'fanout') {
    const runId = runIdOf(0);
    await prof.start();
    const t0 = performance.now();
    await tx(() => createRun(runId, 'bench-fanout', steps));
    await tx(() => {
      recordStep(runId, 'first', 0);
    });
    await tx(() => {
      for (let i = 0; i < steps; i++) recordStep(runId, keyOf('s'), 1 + i);
    });
    await tx(() => {
      recordStep(runId, 'join', steps + 1);
    });
    await tx(() => finishRun(runId, String(steps)));
    const ms = performance.now() - t0;
    await prof.stop();
    out = { ms, steps: steps + 2 };
    verify(runId, steps + 2, String(steps));
  } else throw new Error(`unknown scenario ${scenario}`);
  if (fd !== undefined) closeSync(fd);
  sqlite.close();
  return out;
}
