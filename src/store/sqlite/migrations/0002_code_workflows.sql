-- Runs of code workflows: their journal lives in steps (one row per journaled
-- call, ord = its position), with the JSON result; signals wait in a table of
-- their own until a waitForSignal takes them, exactly once.

ALTER TABLE runs ADD COLUMN parent_id TEXT;
-- When a waiting run is due again (its earliest sleep or signal timeout).
ALTER TABLE runs ADD COLUMN wake_at INTEGER;
CREATE INDEX runs_waking ON runs (wake_at) WHERE status = 'waiting';
CREATE INDEX runs_by_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

ALTER TABLE run_payloads ADD COLUMN result TEXT;
ALTER TABLE run_payloads ADD COLUMN user_status TEXT;

-- The step's name (its id is the name plus an occurrence suffix) and its
-- journaled result: a JSON value, or for a failure the error's name and message.
ALTER TABLE steps ADD COLUMN name TEXT;
ALTER TABLE steps ADD COLUMN result TEXT;

CREATE TABLE signals (
  seq         INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL,
  name        TEXT NOT NULL,
  payload     TEXT,
  sent_at     INTEGER NOT NULL,
  taken_by    TEXT,
  taken_at    INTEGER
);
CREATE INDEX signals_waiting ON signals (run_id, name, seq) WHERE taken_by IS NULL;
