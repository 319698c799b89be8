-- A step's finish in one round trip and one commit: the guarded update, its
-- attempt and event, the release of its dependents and the run's counters
-- (the same rules as pg-transitions.ts finish(), which it replaces).
CREATE FUNCTION baton_finish(
  p_run TEXT, p_step TEXT, p_epoch INTEGER, p_attempt INTEGER, p_now BIGINT,
  p_status TEXT, p_exit INTEGER, p_outputs TEXT, p_error TEXT, p_ready BIGINT
) RETURNS TABLE (accepted BOOLEAN, open_steps INTEGER) LANGUAGE plpgsql AS $$
DECLARE
  v_now BIGINT := COALESCE(p_now, (extract(epoch from clock_timestamp()) * 1000)::bigint);
  v_kind TEXT;
  v_target TEXT;
  v_open INTEGER;
  v_seq INTEGER;
  v_data JSONB;
BEGIN
  UPDATE steps SET status = p_status, finished_at = v_now, exit_code = p_exit, outputs = p_outputs, error = p_error,
      failures = failures + CASE WHEN p_status IN ('failed', 'retrying') THEN 1 ELSE 0 END, ready_at = p_ready,
      lease_owner = NULL, lease_until = NULL
    WHERE run_id = p_run AND id = p_step AND status = 'running' AND epoch = p_epoch
    RETURNING kind, target INTO v_kind, v_target;
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, r.open_steps FROM runs r WHERE r.id = p_run;
    RETURN;
  END IF;
  IF p_status = 'skipped' THEN
    DELETE FROM attempts WHERE run_id = p_run AND step_id = p_step AND attempt = p_attempt;
    UPDATE steps SET attempt = attempt - 1 WHERE run_id = p_run AND id = p_step;
    INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (p_run, v_now, 'step:skipped', p_step, NULL, json_build_object('reason', p_error)::text);
  ELSE
    UPDATE attempts SET status = CASE WHEN p_status = 'succeeded' THEN 'succeeded' ELSE 'failed' END, finished_at = v_now, exit_code = p_exit, error = p_error
      WHERE run_id = p_run AND step_id = p_step AND attempt = p_attempt;
    v_data := jsonb_build_object('exitCode', p_exit);
    IF p_error IS NOT NULL THEN v_data := v_data || jsonb_build_object('error', p_error); END IF;
    IF p_ready IS NOT NULL THEN v_data := v_data || jsonb_build_object('retryAt', p_ready); END IF;
    INSERT INTO events (run_id, at, type, step_id, attempt, data) VALUES (p_run, v_now, 'step:' || p_status, p_step, p_attempt, v_data::text);
  END IF;
  IF p_status = 'retrying' THEN
    RETURN QUERY SELECT true, r.open_steps FROM runs r WHERE r.id = p_run;
    RETURN;
  END IF;
  IF v_kind = 'rollback' AND p_status = 'succeeded' AND v_target IS NOT NULL THEN
    UPDATE steps SET status = 'compensated' WHERE run_id = p_run AND id = v_target AND status = 'succeeded';
  END IF;
  UPDATE steps s SET deps_unmet = s.deps_unmet - 1,
      deps_not_ok = s.deps_not_ok + CASE WHEN p_status = 'succeeded' OR v_kind = 'rollback' THEN 0 ELSE 1 END,
      status = CASE WHEN s.deps_unmet = 1 THEN 'ready' ELSE s.status END,
      ready_at = CASE WHEN s.deps_unmet = 1 THEN v_now ELSE s.ready_at END
    FROM step_edges e
    WHERE e.run_id = p_run AND e.dep_id = p_step AND s.run_id = p_run AND s.id = e.step_id AND s.status = 'pending';
  IF p_status = 'succeeded' THEN
    UPDATE runs SET open_steps = runs.open_steps - 1, completed_seq = completed_seq + 1 WHERE id = p_run RETURNING runs.open_steps, completed_seq INTO v_open, v_seq;
    UPDATE steps SET completed_seq = v_seq WHERE run_id = p_run AND id = p_step;
  ELSE
    UPDATE runs SET open_steps = runs.open_steps - 1 WHERE id = p_run RETURNING runs.open_steps INTO v_open;
  END IF;
  -- Steps it released may wait for another worker (delivered on commit).
  IF v_open > 0 THEN PERFORM pg_notify('baton_changes', p_run); END IF;
  RETURN QUERY SELECT true, v_open;
END;
$$;
