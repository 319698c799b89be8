-- The worker registry (core/workers.ts): every process that executes steps,
-- its capacity, its lease and its last heartbeat (on the database clock).
-- `id` is the owner id it puts on the steps it leases (steps.lease_owner)
-- and the code runs it holds (runs.owner), which is how the registry lists
-- what each one holds.
CREATE TABLE workers (
  id         TEXT PRIMARY KEY,
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  capacity   INTEGER NOT NULL,
  lease_ms   BIGINT NOT NULL,
  version    TEXT,
  started_at BIGINT NOT NULL,
  seen_at    BIGINT NOT NULL,
  stopped_at BIGINT
);
