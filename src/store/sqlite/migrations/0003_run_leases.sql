-- Code runs submitted to workers: a run-level lease (the worker executing a
-- code run holds it and renews it; when it lapses, another worker replays
-- the run from its journal), the run's kind, to find them, and its deadline
-- (a run timeout a worker enforces).
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'file';
ALTER TABLE runs ADD COLUMN lease_until INTEGER;
CREATE INDEX runs_code_open ON runs (created_at) WHERE kind = 'code' AND status IN ('running', 'waiting', 'compensating');
ALTER TABLE runs ADD COLUMN deadline INTEGER;
CREATE INDEX runs_deadline ON runs (deadline) WHERE deadline IS NOT NULL AND status = 'running';
