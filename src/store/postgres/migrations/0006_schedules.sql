-- Schedule fires, one row per schedule and due time (the key makes each fire
-- happen once, whichever server claims it), and paused schedules.
CREATE TABLE fires (
  workflow   TEXT NOT NULL,
  schedule   TEXT NOT NULL,
  due_at     BIGINT NOT NULL,
  claimed_at BIGINT NOT NULL,
  outcome    TEXT NOT NULL,
  run_id     TEXT,
  PRIMARY KEY (workflow, schedule, due_at)
);
CREATE TABLE schedule_state (
  workflow   TEXT NOT NULL,
  schedule   TEXT NOT NULL,
  paused     BOOLEAN NOT NULL,
  changed_at BIGINT NOT NULL,
  PRIMARY KEY (workflow, schedule)
);
