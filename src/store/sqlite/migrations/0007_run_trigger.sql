-- What started a run (core/run-trigger.ts), written when the run is made, so
-- the console's trigger filter is a look-up, not a scan of every run's history.
ALTER TABLE runs ADD COLUMN started_by TEXT NOT NULL DEFAULT 'manual';
UPDATE runs SET started_by = CASE
  WHEN parent_id IS NOT NULL THEN 'parent'
  WHEN EXISTS (SELECT 1 FROM events e WHERE e.run_id = runs.id AND e.type = 'run:scheduled') THEN 'schedule'
  WHEN EXISTS (SELECT 1 FROM events e WHERE e.run_id = runs.id AND e.type = 'run:triggered') THEN 'event'
  ELSE 'manual' END
WHERE parent_id IS NOT NULL OR EXISTS (SELECT 1 FROM events e WHERE e.run_id = runs.id AND e.type IN ('run:scheduled', 'run:triggered'));
CREATE INDEX runs_by_started_by ON runs (started_by, created_at DESC, id DESC);
