-- The worker's round trip (migration 0010) with the runs' counters of open
-- steps written last. A run's row is locked from its update to the commit,
-- and every worker finishing steps of that run (and this worker's next round
-- trip, sent while this one commits) waits for it: with the counter written
-- before the claims, the claims' work was done under that lock too. Now the
-- lock is held for the commit only.
CREATE OR REPLACE FUNCTION baton_step_batch(
  p_owner TEXT, p_now BIGINT, p_lease_ms BIGINT, p_claim INTEGER,
  f_run TEXT[], f_step TEXT[], f_epoch INTEGER[], f_attempt INTEGER[], f_status TEXT[],
  f_exit INTEGER[], f_outputs TEXT[], f_error TEXT[], f_ready BIGINT[]
) RETURNS TABLE (
  row_kind TEXT, run_id TEXT, step_id TEXT, accepted BOOLEAN, open_steps INTEGER,
  kind TEXT, attempt INTEGER, epoch INTEGER, failures INTEGER, deps_not_ok INTEGER, target TEXT, due BIGINT
) LANGUAGE plpgsql
-- Its statements are planned once per connection (a custom plan per call
-- would cost more than the call), as nested loops over the batch's few rows
-- into the primary keys and the claim index: statistics of tables that just
-- grew by a large run would otherwise plan scans of whole tables.
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
  SET join_collapse_limit = 1 AS $$
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
  -- The finishes whose guard held: their rows' tuple ids and their places in the f_ arrays.
  g_tid TID[];
  g_i BIGINT[];
  -- One step's success (the fast path): its row, and its dependents (tuple
  -- id, whether this release makes it ready, whether a worker may take it,
  -- its pool and order).
  v_fast BOOLEAN := false;
  v_tid TID;
  v_open INTEGER;
  r_tid TID[];
  r_ready BOOLEAN[];
  r_takeable BOOLEAN[];
  r_pool TEXT[];
  r_ord INTEGER[];
  -- Steps picked for claiming, by tuple id.
  c_tid TID[];
  -- Pools whose slots this call frees or whose queue it grows.
  v_pools TEXT[];
  q_pools TEXT[];
  -- Dependents this call released and took at once (claims handed over).
  v_taken INTEGER := 0;
  h_run TEXT[];
  h_step TEXT[];
  h_kind TEXT[];
  h_attempt INTEGER[];
  h_epoch INTEGER[];
  h_failures INTEGER[];
  h_deps_not_ok INTEGER[];
  h_target TEXT[];
BEGIN
  -- One task's success, the commonest call (a chain's hop, a worker with a
  -- step in hand), takes a shorter way through the same rules: a few plain
  -- statements rather than the batch's set-wise ones, whose every node is
  -- set up for each call even when it has no row to write.
  IF cardinality(f_run) = 1 AND f_status[1] = 'succeeded' THEN
    SELECT s.ctid, s.status = 'running' AND s.epoch = f_epoch[1] AND s.kind = 'task' AND s.pool IS NULL INTO v_tid, v_fast
      FROM steps s WHERE s.run_id = f_run[1] AND s.id = f_step[1] FOR UPDATE;
    v_fast := COALESCE(v_fast, false);
  END IF;

  IF v_fast THEN
    UPDATE steps s SET status = 'succeeded', finished_at = v_now, exit_code = f_exit[1], outputs = f_outputs[1], error = NULL, ready_at = NULL,
        lease_owner = NULL, lease_until = NULL, completed_seq = nextval('baton_completions')
      WHERE s.ctid = v_tid;
    UPDATE attempts a SET status = 'succeeded', finished_at = v_now, exit_code = f_exit[1], error = NULL
      WHERE a.run_id = f_run[1] AND a.step_id = f_step[1] AND a.attempt = f_attempt[1];
    INSERT INTO events (run_id, at, type, step_id, attempt, data)
      VALUES (f_run[1], v_now, 'step:succeeded', f_step[1], f_attempt[1], jsonb_build_object('exitCode', f_exit[1])::text);

    -- Its dependents, locked in key order; those this makes ready are taken at once while slots are free.
    SELECT array_agg(x.tid), array_agg(x.ready), array_agg(x.takeable), array_agg(x.pool), array_agg(x.ord)
      INTO r_tid, r_ready, r_takeable, r_pool, r_ord
    FROM (SELECT s.ctid AS tid, s.status, s.deps_unmet = 1 AS ready, s.deps_unmet = 1 AND s.for_workers AND s.kind IN ('task', 'rollback') AND s.pool IS NULL AS takeable,
                 s.pool, s.ord
          -- The step from the arrays, not as constants: with the run a
          -- constant, the plan (made once, maybe while the table was small)
          -- may read the run's steps from its first one rather than look each
          -- dependent up by its key.
          FROM unnest(f_run, f_step) AS d(run_id, step_id)
          JOIN step_edges e ON e.run_id = d.run_id AND e.dep_id = d.step_id
          JOIN steps s ON s.run_id = e.run_id AND s.id = e.step_id
          ORDER BY s.run_id, s.id OFFSET 0 FOR UPDATE OF s) x
    WHERE x.status = 'pending';
    IF r_tid IS NOT NULL THEN
      WITH c AS (
        SELECT r.tid, r.ready, r.pool, r.takeable AND row_number() OVER (PARTITION BY r.takeable ORDER BY r.ord) <= p_claim AS take
        FROM unnest(r_tid, r_ready, r_takeable, r_pool, r_ord) AS r(tid, ready, takeable, pool, ord)),
      upd AS (
        UPDATE steps s SET deps_unmet = s.deps_unmet - 1,
            status = CASE WHEN c.take THEN 'running' WHEN c.ready AND c.pool IS NOT NULL THEN 'queued' WHEN c.ready THEN 'ready' ELSE s.status END,
            ready_at = CASE WHEN c.ready THEN v_now ELSE s.ready_at END,
            attempt = s.attempt + CASE WHEN c.take THEN 1 ELSE 0 END,
            epoch = s.epoch + CASE WHEN c.take THEN 1 ELSE 0 END,
            lease_owner = CASE WHEN c.take THEN p_owner ELSE s.lease_owner END,
            lease_until = CASE WHEN c.take THEN v_now + p_lease_ms ELSE s.lease_until END,
            started_at = CASE WHEN c.take THEN COALESCE(s.started_at, v_now) ELSE s.started_at END
          FROM c WHERE s.ctid = c.tid
          RETURNING s.run_id, s.id, s.kind, s.attempt, s.epoch, s.failures, s.deps_not_ok, s.target, s.status, c.take, s.pool),
      att AS (
        INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at)
        SELECT u.run_id, u.id, u.attempt, 'running', p_owner, v_now FROM upd u WHERE u.take),
      ev AS (
        INSERT INTO events (run_id, at, type, step_id, attempt) SELECT u.run_id, v_now, 'step:started', u.id, u.attempt FROM upd u WHERE u.take)
      SELECT count(*) FILTER (WHERE u.status = 'ready'),
             array_agg(u.run_id) FILTER (WHERE u.take), array_agg(u.id) FILTER (WHERE u.take), array_agg(u.kind) FILTER (WHERE u.take),
             array_agg(u.attempt) FILTER (WHERE u.take), array_agg(u.epoch) FILTER (WHERE u.take), array_agg(u.failures) FILTER (WHERE u.take),
             array_agg(u.deps_not_ok) FILTER (WHERE u.take), array_agg(u.target) FILTER (WHERE u.take),
             array_agg(u.pool) FILTER (WHERE u.status = 'queued')
        INTO v_released, h_run, h_step, h_kind, h_attempt, h_epoch, h_failures, h_deps_not_ok, h_target, q_pools FROM upd u;
      IF v_released > 0 THEN v_notify := ARRAY[f_run[1]]; END IF;
      IF h_run IS NOT NULL THEN
        v_taken := cardinality(h_run);
        RETURN QUERY
        SELECT 'claim'::text, h.run_id, h.step_id, NULL::boolean, NULL::int, h.kind, h.attempt, h.epoch, h.failures, h.deps_not_ok, h.target, NULL::bigint
        FROM unnest(h_run, h_step, h_kind, h_attempt, h_epoch, h_failures, h_deps_not_ok, h_target)
               AS h(run_id, step_id, kind, attempt, epoch, failures, deps_not_ok, target);
      END IF;
    END IF;


  ELSIF cardinality(f_run) > 0 THEN
    -- Rows are locked in one order (steps by key, then runs by id), so that
    -- batches, heartbeats and cancels never wait on each other in a cycle;
    -- a run's row only at the end, for its counter, until the commit.
    -- The guard (still running, the claim's epoch) is read from the locked
    -- rows, outside the locking scan (OFFSET 0 keeps it out): inside, the
    -- planner would read every entry of the partial index of running steps
    -- (dead ones too) rather than look each step up by its key. The rows
    -- kept are then updated by their tuple ids, which the locks hold still.
    SELECT array_agg(x.tid), array_agg(x.i) INTO g_tid, g_i
    FROM (SELECT s.ctid AS tid, u.i, s.status, s.epoch AS cur, u.epoch
          FROM unnest(f_run, f_step, f_epoch) WITH ORDINALITY AS u(run_id, step_id, epoch, i)
          JOIN steps s ON s.run_id = u.run_id AND s.id = u.step_id
          ORDER BY s.run_id, s.id OFFSET 0 FOR UPDATE OF s) x
    WHERE x.status = 'running' AND x.cur = x.epoch;

    WITH f AS (
      SELECT g.tid, f_run[g.i] AS run_id, f_step[g.i] AS step_id, f_attempt[g.i] AS attempt, f_status[g.i] AS status,
             f_exit[g.i] AS exit_code, f_outputs[g.i] AS outputs, f_error[g.i] AS error, f_ready[g.i] AS ready_at,
             CASE WHEN f_status[g.i] = 'succeeded' THEN nextval('baton_completions') END AS seq
      FROM unnest(g_tid, g_i) AS g(tid, i)),
    fin AS (
      UPDATE steps s SET status = f.status, finished_at = v_now, exit_code = f.exit_code, outputs = f.outputs, error = f.error,
          failures = s.failures + CASE WHEN f.status IN ('failed', 'retrying') THEN 1 ELSE 0 END, ready_at = f.ready_at,
          lease_owner = NULL, lease_until = NULL, completed_seq = f.seq,
          attempt = s.attempt - CASE WHEN f.status = 'skipped' THEN 1 ELSE 0 END
        FROM f WHERE s.ctid = f.tid
        RETURNING s.run_id, s.id, s.kind, s.target, f.status, f.attempt, f.exit_code, f.error, f.ready_at, s.pool),
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
    SELECT array_agg(fin.run_id), array_agg(fin.id), array_agg(fin.kind), array_agg(fin.target), array_agg(fin.status),
           array_agg(fin.pool) FILTER (WHERE fin.pool IS NOT NULL AND fin.status <> 'retrying')
      INTO d_run, d_step, d_kind, d_target, d_status, v_pools FROM fin;

    IF d_run IS NOT NULL THEN
      -- A rollback that succeeded marks its task compensated.
      IF 'rollback' = ANY(d_kind) THEN
        UPDATE steps s SET status = 'compensated' FROM unnest(d_run, d_step, d_kind, d_target, d_status) AS d(run_id, step_id, kind, target, status)
          WHERE d.kind = 'rollback' AND d.status = 'succeeded' AND d.target IS NOT NULL
            AND s.run_id = d.run_id AND s.id = d.target AND s.status = 'succeeded';
      END IF;

      -- Dependents: one fewer unmet dependency per finished one; the last makes them ready.
      PERFORM 1 FROM unnest(d_run, d_step, d_status) AS d(run_id, step_id, status)
        JOIN step_edges e ON e.run_id = d.run_id AND e.dep_id = d.step_id
        JOIN steps s ON s.run_id = e.run_id AND s.id = e.step_id
        WHERE d.status <> 'retrying' AND s.status = 'pending' ORDER BY s.run_id, s.id FOR UPDATE OF s;
      -- A dependent that becomes ready is taken at once, while this worker has
      -- slots free (a chain's next step never waits in the ready queue); the
      -- rest become ready for anyone.
      WITH rel AS (
        SELECT e.run_id, e.step_id, count(*)::int AS n,
               count(*) FILTER (WHERE d.status <> 'succeeded' AND d.kind <> 'rollback')::int AS bad
        FROM unnest(d_run, d_step, d_kind, d_status) AS d(run_id, step_id, kind, status)
        JOIN step_edges e ON e.run_id = d.run_id AND e.dep_id = d.step_id
        WHERE d.status <> 'retrying' GROUP BY e.run_id, e.step_id),
      cand AS (
        SELECT rel.*, s.deps_unmet = rel.n AS ready, s.pool,
               s.deps_unmet = rel.n AND s.for_workers AND s.kind IN ('task', 'rollback') AND s.pool IS NULL AS takeable, s.ord
        FROM rel JOIN steps s ON s.run_id = rel.run_id AND s.id = rel.step_id WHERE s.status = 'pending'),
      ranked AS (
        SELECT cand.*, cand.takeable AND row_number() OVER (PARTITION BY cand.takeable ORDER BY cand.run_id, cand.ord) <= p_claim AS take
        FROM cand),
      upd AS (
        UPDATE steps s SET deps_unmet = s.deps_unmet - c.n, deps_not_ok = s.deps_not_ok + c.bad,
            status = CASE WHEN c.take THEN 'running' WHEN c.ready AND c.pool IS NOT NULL THEN 'queued' WHEN c.ready THEN 'ready' ELSE s.status END,
            ready_at = CASE WHEN c.ready THEN v_now ELSE s.ready_at END,
            attempt = s.attempt + CASE WHEN c.take THEN 1 ELSE 0 END,
            epoch = s.epoch + CASE WHEN c.take THEN 1 ELSE 0 END,
            lease_owner = CASE WHEN c.take THEN p_owner ELSE s.lease_owner END,
            lease_until = CASE WHEN c.take THEN v_now + p_lease_ms ELSE s.lease_until END,
            started_at = CASE WHEN c.take THEN COALESCE(s.started_at, v_now) ELSE s.started_at END
          FROM ranked c WHERE s.run_id = c.run_id AND s.id = c.step_id AND s.status = 'pending'
          RETURNING s.run_id, s.id, s.kind, s.attempt, s.epoch, s.failures, s.deps_not_ok, s.target, s.status, c.take, s.pool),
      att AS (
        INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at)
        SELECT u.run_id, u.id, u.attempt, 'running', p_owner, v_now FROM upd u WHERE u.take),
      ev AS (
        INSERT INTO events (run_id, at, type, step_id, attempt) SELECT u.run_id, v_now, 'step:started', u.id, u.attempt FROM upd u WHERE u.take)
      SELECT count(*) FILTER (WHERE u.status = 'ready'), array_agg(DISTINCT u.run_id) FILTER (WHERE u.status = 'ready'),
             array_agg(u.run_id) FILTER (WHERE u.take), array_agg(u.id) FILTER (WHERE u.take), array_agg(u.kind) FILTER (WHERE u.take),
             array_agg(u.attempt) FILTER (WHERE u.take), array_agg(u.epoch) FILTER (WHERE u.take), array_agg(u.failures) FILTER (WHERE u.take),
             array_agg(u.deps_not_ok) FILTER (WHERE u.take), array_agg(u.target) FILTER (WHERE u.take),
             array_agg(u.pool) FILTER (WHERE u.status = 'queued')
        INTO v_released, v_notify, h_run, h_step, h_kind, h_attempt, h_epoch, h_failures, h_deps_not_ok, h_target, q_pools FROM upd u;
      IF h_run IS NOT NULL THEN
        v_taken := cardinality(h_run);
        RETURN QUERY
        SELECT 'claim'::text, h.run_id, h.step_id, NULL::boolean, NULL::int, h.kind, h.attempt, h.epoch, h.failures, h.deps_not_ok, h.target, NULL::bigint
        FROM unnest(h_run, h_step, h_kind, h_attempt, h_epoch, h_failures, h_deps_not_ok, h_target)
               AS h(run_id, step_id, kind, attempt, epoch, failures, deps_not_ok, target);
      END IF;
    END IF;

    -- Finishes refused (the lease was lost, the run cancelled): nothing of them was written.
    IF COALESCE(cardinality(d_run), 0) < cardinality(f_run) THEN
      RETURN QUERY
      SELECT 'finish'::text, u.run_id, u.step_id, false, r.open_steps,
             NULL::text, NULL::int, NULL::int, NULL::int, NULL::int, NULL::text, NULL::bigint
      FROM unnest(f_run, f_step) AS u(run_id, step_id) JOIN runs r ON r.id = u.run_id
      WHERE NOT EXISTS (SELECT 1 FROM unnest(d_run, d_step) AS d(run_id, step_id) WHERE d.run_id = u.run_id AND d.step_id = u.step_id);
    END IF;
  END IF;

  IF v_pools IS NOT NULL OR q_pools IS NOT NULL THEN
    PERFORM baton_admit_pools(array_cat(v_pools, q_pools), v_now);
  END IF;

  IF p_claim - v_taken > 0 THEN
    -- Picked (and locked) first, then claimed by tuple id: when nothing is
    -- ready (a chain's hop, whose next step was taken above) the writing
    -- statement is not started at all.
    SELECT array_agg(p.tid) INTO c_tid FROM (
      SELECT s.ctid AS tid FROM steps s
      WHERE s.status IN ('ready', 'retrying') AND s.kind IN ('task', 'rollback') AND s.for_workers AND s.ready_at <= v_now
      ORDER BY s.ready_at, s.ord LIMIT p_claim - v_taken FOR UPDATE OF s SKIP LOCKED) p;
    IF c_tid IS NOT NULL THEN
      RETURN QUERY
      WITH claimed AS (
        UPDATE steps s SET status = 'running', attempt = s.attempt + 1, epoch = s.epoch + 1,
            lease_owner = p_owner, lease_until = v_now + p_lease_ms, started_at = COALESCE(s.started_at, v_now)
          FROM unnest(c_tid) AS p(tid) WHERE s.ctid = p.tid
          RETURNING s.run_id, s.id, s.kind, s.attempt, s.epoch, s.failures, s.deps_not_ok, s.target),
      att AS (
        INSERT INTO attempts (run_id, step_id, attempt, status, owner, started_at)
        SELECT c.run_id, c.id, c.attempt, 'running', p_owner, v_now FROM claimed c),
      ev AS (
        INSERT INTO events (run_id, at, type, step_id, attempt) SELECT c.run_id, v_now, 'step:started', c.id, c.attempt FROM claimed c)
      SELECT 'claim'::text, c.run_id, c.id, NULL::boolean, NULL::int, c.kind, c.attempt, c.epoch, c.failures, c.deps_not_ok, c.target, NULL::bigint
      FROM claimed c;
      GET DIAGNOSTICS v_claimed = ROW_COUNT;
    END IF;
    IF v_claimed < p_claim - v_taken THEN
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

  -- Last, the runs' counters of open steps and each accepted finish's row:
  -- a run's row stays locked from here to the commit.
  IF v_fast THEN
    UPDATE runs r SET open_steps = r.open_steps - 1 WHERE r.id = f_run[1] RETURNING r.open_steps INTO v_open;
    RETURN QUERY SELECT 'finish'::text, f_run[1], f_step[1], true, v_open,
      NULL::text, NULL::int, NULL::int, NULL::int, NULL::int, NULL::text, NULL::bigint;
  ELSIF d_run IS NOT NULL THEN
    PERFORM 1 FROM runs r WHERE r.id = ANY(d_run) ORDER BY r.id FOR UPDATE;
    RETURN QUERY
    WITH agg AS (
      SELECT d.run_id, count(*) FILTER (WHERE d.status <> 'retrying')::int AS n
      FROM unnest(d_run, d_status) AS d(run_id, status) GROUP BY d.run_id),
    counted AS (
      UPDATE runs r SET open_steps = r.open_steps - agg.n FROM agg WHERE r.id = agg.run_id RETURNING r.id, r.open_steps)
    SELECT 'finish'::text, d.run_id, d.step_id, true, c.open_steps,
           NULL::text, NULL::int, NULL::int, NULL::int, NULL::int, NULL::text, NULL::bigint
    FROM unnest(d_run, d_step) AS d(run_id, step_id) JOIN counted c ON c.id = d.run_id;
  END IF;
END;
$$;

