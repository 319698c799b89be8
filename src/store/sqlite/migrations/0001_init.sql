-- Runs, their steps, the dependency edges between steps, attempts, the
-- append-only event history and captured log lines.

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  workflow      TEXT NOT NULL,
  status        TEXT NOT NULL,
  run_attempt   INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  owner         TEXT,
  error         TEXT,
  then_status   TEXT,
  open_steps    INTEGER NOT NULL,
  completed_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at DESC);

-- Kept apart from runs: the runs row is updated at every step, and SQLite
-- rewrites a whole row on update, so it must stay small.
CREATE TABLE run_payloads (
  run_id     TEXT PRIMARY KEY REFERENCES runs (id),
  input      TEXT NOT NULL,
  definition TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE steps (
  run_id        TEXT NOT NULL REFERENCES runs (id),
  id            TEXT NOT NULL,
  kind          TEXT NOT NULL DEFAULT 'task',
  target        TEXT,
  status        TEXT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 0,
  failures      INTEGER NOT NULL DEFAULT 0,
  deps_unmet    INTEGER NOT NULL,
  deps_not_ok   INTEGER NOT NULL DEFAULT 0,
  depends_on    TEXT NOT NULL,
  ready_at      INTEGER,
  epoch         INTEGER NOT NULL DEFAULT 0,
  lease_owner   TEXT,
  lease_until   INTEGER,
  started_at    INTEGER,
  finished_at   INTEGER,
  exit_code     INTEGER,
  outputs       TEXT,
  error         TEXT,
  completed_seq INTEGER,
  ord           INTEGER NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE INDEX steps_claimable ON steps (run_id, ready_at, ord) WHERE status IN ('ready', 'retrying');
CREATE INDEX steps_running ON steps (lease_until) WHERE status = 'running';

-- dep_id must end before step_id may start
CREATE TABLE step_edges (
  run_id  TEXT NOT NULL,
  dep_id  TEXT NOT NULL,
  step_id TEXT NOT NULL,
  PRIMARY KEY (run_id, dep_id, step_id)
) WITHOUT ROWID;

CREATE TABLE attempts (
  run_id      TEXT NOT NULL,
  step_id     TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status      TEXT NOT NULL,
  owner       TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  exit_code   INTEGER,
  error       TEXT,
  PRIMARY KEY (run_id, step_id, attempt)
) WITHOUT ROWID;

CREATE TABLE events (
  seq     INTEGER PRIMARY KEY,
  run_id  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  type    TEXT NOT NULL,
  step_id TEXT,
  attempt INTEGER,
  data    TEXT
);
CREATE INDEX events_by_run ON events (run_id, seq);

CREATE TABLE logs (
  seq     INTEGER PRIMARY KEY,
  run_id  TEXT NOT NULL,
  step_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  stream  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  line    TEXT NOT NULL
);
CREATE INDEX logs_by_step ON logs (run_id, step_id, attempt, seq);
