-- Flow control (core/flow.ts): run concurrency gates, resource pools, priority.
ALTER TABLE runs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- The run's gates as JSON ([{key, limit}]), kept to queue it again on retry.
ALTER TABLE runs ADD COLUMN gates TEXT;
ALTER TABLE steps ADD COLUMN pool TEXT;
ALTER TABLE steps ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- A pool's slots are its steps that are ready, running or retrying; its queue, those queued.
CREATE INDEX steps_by_pool ON steps (pool, status) WHERE pool IS NOT NULL;
CREATE INDEX steps_pool_queue ON steps (pool, priority DESC, ready_at, run_id, ord) WHERE status = 'queued';

-- The gates of runs not yet ended: held (running) or waiting (queued).
-- A run's rows go when it ends; a gate's count is its rows held.
CREATE TABLE run_gates (
  gate      TEXT NOT NULL,
  run_id    TEXT NOT NULL,
  lim       INTEGER NOT NULL,
  held      INTEGER NOT NULL,
  priority  INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  PRIMARY KEY (gate, run_id)
) WITHOUT ROWID;
CREATE INDEX run_gates_by_run ON run_gates (run_id);
CREATE INDEX run_gates_queue ON run_gates (gate, priority DESC, queued_at, run_id) WHERE held = 0;

CREATE TABLE pools (
  name  TEXT PRIMARY KEY,
  slots INTEGER NOT NULL
) WITHOUT ROWID;
