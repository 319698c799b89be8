-- The PostgreSQL store: the same tables as the SQLite store (times are
-- milliseconds since the epoch, JSON is text), with claims by
-- FOR UPDATE SKIP LOCKED and leases measured on the database clock.

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  workflow      TEXT NOT NULL,
  status        TEXT NOT NULL,
  run_attempt   INTEGER NOT NULL DEFAULT 1,
  created_at    BIGINT NOT NULL,
  started_at    BIGINT,
  finished_at   BIGINT,
  owner         TEXT,
  error         TEXT,
  then_status   TEXT,
  open_steps    INTEGER NOT NULL,
  completed_seq INTEGER NOT NULL DEFAULT 0,
  parent_id     TEXT,
  wake_at       BIGINT
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at DESC);
CREATE INDEX runs_waking ON runs (wake_at) WHERE status = 'waiting';
CREATE INDEX runs_by_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE run_payloads (
  run_id      TEXT PRIMARY KEY REFERENCES runs (id),
  input       TEXT NOT NULL,
  definition  TEXT NOT NULL,
  result      TEXT,
  user_status TEXT
);

CREATE TABLE steps (
  run_id        TEXT NOT NULL REFERENCES runs (id),
  id            TEXT NOT NULL,
  kind          TEXT NOT NULL DEFAULT 'task',
  target        TEXT,
  name          TEXT,
  status        TEXT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 0,
  failures      INTEGER NOT NULL DEFAULT 0,
  deps_unmet    INTEGER NOT NULL,
  deps_not_ok   INTEGER NOT NULL DEFAULT 0,
  depends_on    TEXT NOT NULL,
  ready_at      BIGINT,
  epoch         INTEGER NOT NULL DEFAULT 0,
  lease_owner   TEXT,
  lease_until   BIGINT,
  started_at    BIGINT,
  finished_at   BIGINT,
  exit_code     INTEGER,
  outputs       TEXT,
  result        TEXT,
  error         TEXT,
  completed_seq BIGINT,
  ord           INTEGER NOT NULL,
  PRIMARY KEY (run_id, id)
);
CREATE INDEX steps_claimable ON steps (run_id, ready_at, ord) WHERE status IN ('ready', 'retrying');
CREATE INDEX steps_running ON steps (lease_until) WHERE status = 'running';
-- Workers claim ready steps of any run.
CREATE INDEX steps_ready_any ON steps (ready_at, ord) WHERE status IN ('ready', 'retrying');

CREATE TABLE step_edges (
  run_id  TEXT NOT NULL,
  dep_id  TEXT NOT NULL,
  step_id TEXT NOT NULL,
  PRIMARY KEY (run_id, dep_id, step_id)
);

CREATE TABLE attempts (
  run_id      TEXT NOT NULL,
  step_id     TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status      TEXT NOT NULL,
  owner       TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT,
  exit_code   INTEGER,
  error       TEXT,
  PRIMARY KEY (run_id, step_id, attempt)
);

CREATE TABLE events (
  seq     BIGSERIAL PRIMARY KEY,
  run_id  TEXT NOT NULL,
  at      BIGINT NOT NULL,
  type    TEXT NOT NULL,
  step_id TEXT,
  attempt INTEGER,
  data    TEXT
);
CREATE INDEX events_by_run ON events (run_id, seq);

CREATE TABLE logs (
  seq     BIGSERIAL PRIMARY KEY,
  run_id  TEXT NOT NULL,
  step_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  stream  TEXT NOT NULL,
  at      BIGINT NOT NULL,
  line    TEXT NOT NULL
);
CREATE INDEX logs_by_step ON logs (run_id, step_id, attempt, seq);

CREATE TABLE signals (
  seq      BIGSERIAL PRIMARY KEY,
  run_id   TEXT NOT NULL,
  name     TEXT NOT NULL,
  payload  TEXT,
  sent_at  BIGINT NOT NULL,
  taken_by TEXT,
  taken_at BIGINT
);
CREATE INDEX signals_waiting ON signals (run_id, name, seq) WHERE taken_by IS NULL;
