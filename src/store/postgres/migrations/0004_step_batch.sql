-- A worker's round trip: the outcomes of the steps it finished since its
-- last call, recorded together, and its next claims, in one function call
-- (one round trip, one commit). A chain of steps costs one call per hop: the
-- finish releases the next step and the claim in the same call takes it.
--
-- Finishes follow baton_finish (migration 0003) step by step, set-wise:
-- the guarded update (status running and the claim's epoch: a worker that
-- lost its lease records nothing), the attempt and its event, the release of
-- dependents, the run's counters. The runs touched are locked first, in id
-- order, so two workers' batches never wait on each other in a cycle.
--
-- Returns one row per finish ('finish': accepted, the run's open steps after
-- the call), one per claim ('claim'), and, when fewer steps were claimed than
-- asked for, one 'due' row: the earliest time a waiting (retrying) step of a
-- worker run becomes claimable, or null.
-- Steps workers may claim are those of file runs no process drives (owner
-- null). The flag is kept on the step, so that a claim is one ordered scan
-- of a small partial index, whatever the planner's statistics say.
ALTER TABLE steps ADD COLUMN for_workers BOOLEAN NOT NULL DEFAULT false;
UPDATE steps s SET for_workers = true FROM runs r WHERE r.id = s.run_id AND r.owner IS NULL AND r.kind = 'file';
DROP INDEX steps_ready_any;
CREATE INDEX steps_ready_for_workers ON steps (ready_at, ord)
  WHERE status IN ('ready', 'retrying') AND kind IN ('task', 'rollback') AND for_workers;

CREATE FUNCTION baton_steps_follow_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE steps SET for_workers = (NEW.owner IS NULL) WHERE run_id = NEW.id AND for_workers <> (NEW.owner IS NULL);
  RETURN NULL;
END;
$$;
CREATE TRIGGER runs_owner_to_steps AFTER UPDATE OF owner ON runs
  FOR EACH ROW WHEN (OLD.owner IS DISTINCT FROM NEW.owner AND NEW.kind = 'file') EXECUTE FUNCTION baton_steps_follow_owner();

CREATE FUNCTION baton_step_batch(
  p_owner TEXT, p_now BIGINT, p_lease_ms BIGINT, p_claim INTEGER,
  f_run TEXT[], f_step TEXT[], f_epoch INTEGER[], f_attempt INTEGER[], f_status TEXT[],
  f_exit INTEGER[], f_outputs TEXT[], f_error TEXT[], f_ready BIGINT[]
) RETURNS TABLE (
  row_kind TEXT, run_id TEXT, step_id TEXT, accepted BOOLEAN, open_steps INTEGER,
  kind TEXT, attempt INTEGER, epoch INTEGER, failures INTEGER, deps_not_ok INTEGER, target TEXT, due BIGINT
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_now BIGINT := COALESCE(p_now, (extract(epoch from clock_timestamp()) * 1000)::bigint);
  v_released INTEGER := 0;
  v_claimed INTEGER := 0;
  v_notify TEXT[];
  -- The finishes accepted: run, step, kind, target, status.
  d_run TEXT[];
  d_step TEXT[];
  d_kind TEXT[];
  d_target TEXT[];
  d_status TEXT[];
BEGIN
  IF cardinality(f_run) > 0 THEN
    PERFORM 1 FROM runs r WHERE r.id = ANY(f_run) ORDER BY r.id FOR UPDATE;

    WITH f AS (
      SELECT u.*, CASE WHEN u.status = 'succeeded'
          THEN r.completed_seq + row_number() OVER (PARTITION BY u.run_id, u.status = 'succeeded' ORDER BY u.n) END AS seq
      FROM unnest(f_run, f_step, f_epoch, f_attempt, f_status, f_exit, f_outputs, f_error, f_ready)
             WITH ORDINALITY AS u(run_id, step_id, epoch, attempt, status, exit_code, outputs, error, ready_at, n)
      JOIN runs r ON r.id = u.run_id),
    fin AS (
      UPDATE steps s SET status = f.status, finished_at = v_now, exit_code = f.exit_code, outputs = f.outputs, error = f.error,
          failures = s.failures + CASE WHEN f.status IN ('failed', 'retrying') THEN 1 ELSE 0 END, ready_at = f.ready_at,
          lease_owner = NULL, lease_until = NULL, completed_seq = f.seq,
          attempt = s.attempt - CASE WHEN f.status = 'skipped' THEN 1 ELSE 0 END
        FROM f WHERE s.run_id = f.run_id AND s.id = f.step_id AND s.status = 'running' AND s.epoch = f.epoch
        RETURNING s.run_id, s.id, s.kind, s.target, f.status, f.attempt, f.exit_code, f.error, f.ready_at),
    att AS (
      UPDATE attempts a SET status = CASE WHEN fin.status = 'succeeded' THEN 'succeeded' ELSE 'failed' END,
          finished_at = v_now, exit_code = fin.exit_code, error = fin.error
        FROM fin WHERE fin.status <> 'skipped' AND a.run_id = fin.run_id AND a.step_id = fin.id AND a.attempt = fin.attempt),
    del AS (
      DELETE FROM attempts a USING fin WHERE fin.status = 'skipped' AND a.run_id = fin.run_id AND a.step_id = fin.id AND a.attempt = fin.attempt),
    ev AS (
      INSERT INTO events (run_id, at, type, step_id, attempt, data)
      SELECT fin.run_id, v_now, 'step:' || fin.status, fin.id,
             CASE WHEN fin.status = 'skipped' THEN NULL ELSE fin.attempt END,
             CASE WHEN fin.status = 'skipped' THEN json_build_object('reason', fin.error)::text
               ELSE (jsonb_build_object('exitCode', fin.exit_code)
                 || CASE WHEN fin.error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', fin.error) END
                 || CASE WHEN fin.ready_at IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('retryAt', fin.ready_at) END)::text END
      FROM fin)
    SELECT array_agg(fin.run_id), array_agg(fin.id), array_agg(fin.kind), array_agg(fin.target), array_agg(fin.status)
      INTO d_run, d_step, d_kind, d_target, d_status FROM fin;

    -- A rollback that succeeded marks its task compensated.
    UPDATE steps s SET status = 'compensated' FROM unnest(d_run, d_step, d_kind, d_target, d_status) AS d(run_id, step_id, kind, target, status)
      WHERE d.kind = 'rollback' AND d.status = 'succeeded' AND d.target IS NOT NULL
        AND s.run_id = d.run_id AND s.id = d.target AND s.status = 'succeeded';

    -- Dependents: one fewer unmet dependency per finished one; the last makes them ready.
    WITH rel AS (
      SELECT e.run_id, e.step_id, count(*)::int AS n,
             count(*) FILTER (WHERE d.status <> 'succeeded' AND d.kind <> 'rollback')::int AS bad
      FROM unnest(d_run, d_step, d_kind, d_target, d_status) AS d(run_id, step_id, kind, target, status) JOIN step_edges e ON e.run_id = d.run_id AND e.dep_id = d.step_id
      WHERE d.status <> 'retrying' GROUP BY e.run_id, e.step_id),
    upd AS (
      UPDATE steps s SET deps_unmet = s.deps_unmet - rel.n, deps_not_ok = s.deps_not_ok + rel.bad,
          status = CASE WHEN s.deps_unmet = rel.n THEN 'ready' ELSE s.status END,
          ready_at = CASE WHEN s.deps_unmet = rel.n THEN v_now ELSE s.ready_at END
        FROM rel WHERE s.run_id = rel.run_id AND s.id = rel.step_id AND s.status = 'pending'
        RETURNING s.run_id, s.status)
    SELECT count(*) FILTER (WHERE upd.status = 'ready'), array_agg(DISTINCT upd.run_id) FILTER (WHERE upd.status = 'ready')
      INTO v_released, v_notify FROM upd;

    -- The runs' counters, and each finish's row.
    RETURN QUERY
    WITH agg AS (
      -- completed_seq moves past every succeeded finish asked for (accepted or not: f's numbering).
      SELECT u.run_id, count(*) FILTER (WHERE d.step_id IS NOT NULL AND d.status <> 'retrying')::int AS n,
             count(*) FILTER (WHERE u.status = 'succeeded')::int AS ok
      FROM unnest(f_run, f_step, f_status) AS u(run_id, step_id, status)
      LEFT JOIN unnest(d_run, d_step, d_status) AS d(run_id, step_id, status) ON d.run_id = u.run_id AND d.step_id = u.step_id
      GROUP BY u.run_id),
    counted AS (
      UPDATE runs r SET open_steps = r.open_steps - agg.n, completed_seq = r.completed_seq + agg.ok
        FROM agg WHERE r.id = agg.run_id RETURNING r.id, r.open_steps)
    SELECT 'finish'::text, u.run_id, u.step_id, d.step_id IS NOT NULL, COALESCE(c.open_steps, r.open_steps),
           NULL::text, NULL::int, NULL::int, NULL::int, NULL::int, NULL::text, NULL::bigint
    FROM unnest(f_run, f_step) AS u(run_id, step_id)
    LEFT JOIN unnest(d_run, d_step) AS d(run_id, step_id) ON d.run_id = u.run_id AND d.step_id = u.step_id
    LEFT JOIN counted c ON c.id = u.run_id
    LEFT JOIN runs r ON r.id = u.run_id;
  END IF;

  IF p_claim > 0 THEN
    RETURN QUERY
    WITH picked AS (
      SELECT s.run_id, s.id FROM steps s
      WHERE s.status IN ('ready', 'retrying') AND s.kind IN ('task', 'rollback') AND s.for_workers AND s.ready_at <= v_now
      ORDER BY s.ready_at, s.ord LIMIT p_claim FOR UPDATE OF s SKIP LOCKED),
    claimed AS (
      UPDATE steps s SET status = 'running', attempt = s.attempt + 1, epoch = s.epoch + 1,
          lease_owner = p_owner, lease_until = v_now + p_lease_ms, started_at = COALESCE(s.started_at, v_now)
        FROM picked WHERE s.run_id = picked.run_id AND s.id = picked.id
        RETURNING s.run_id, s.id, s.kind, s.attempt, s.epoch, s.failures, s.deps_not_ok, s.target),
    att AS (
      INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at)
      SELECT c.run_id, c.id, c.attempt, 'running', p_owner, v_now FROM claimed c),
    ev AS (
      INSERT INTO events (run_id, at, type, step_id, attempt) SELECT c.run_id, v_now, 'step:started', c.id, c.attempt FROM claimed c)
    SELECT 'claim'::text, c.run_id, c.id, NULL::boolean, NULL::int, c.kind, c.attempt, c.epoch, c.failures, c.deps_not_ok, c.target, NULL::bigint
    FROM claimed c;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed < p_claim THEN
      RETURN QUERY
      SELECT 'due'::text, NULL::text, NULL::text, NULL::boolean, NULL::int, NULL::text, NULL::int, NULL::int, NULL::int, NULL::int, NULL::text,
             (SELECT s.ready_at FROM steps s WHERE s.status IN ('ready', 'retrying') AND s.kind IN ('task', 'rollback') AND s.for_workers
                AND s.ready_at > v_now ORDER BY s.ready_at LIMIT 1);
    END IF;
  END IF;

  -- Steps released here that this call did not take wait for other workers (delivered on commit).
  IF v_released > v_claimed AND v_notify IS NOT NULL THEN
    PERFORM pg_notify('baton_changes', x) FROM unnest(v_notify) AS x;
  END IF;
END;
$$;
