/**
 * @module store/postgres-turn-sql
 * The plpgsql functions of migration 8 (migrations.ts): `swirl_commit_turn_v8`, the one-statement
 * turn commit (version 6's `swirl_commit_turn` plus `p_drop`: a final turn's dropPendingWork), and
 * `swirl_try_commit_turn`, the same in a subtransaction that returns a failed check instead of
 * raising it — the unit of group commit (postgres-turn-batch.ts). Being plpgsql, each statement
 * inside takes its snapshot AFTER the row locks are held, so an enqueue that committed while the
 * turn waited for a lock is seen by the ready_at refreshes. Checks raise SQLSTATEs of class SW
 * (postgres-turn-function.ts maps them to the store's errors).
 */

/** The parameter list shared by both functions (27 parameters). */
const PARAMS = `p_instance TEXT, p_lease TEXT, p_epoch BIGINT, p_first_seq INTEGER,
  p_done_ids BIGINT[], p_done_leases TEXT[],
  p_h_seq INTEGER[], p_h_type TEXT[], p_h_ts BIGINT[], p_h_data TEXT[],
  p_consumed BIGINT[],
  p_t_inst TEXT[], p_t_exec TEXT[], p_t_task INTEGER[], p_t_name TEXT[], p_t_vis BIGINT[], p_t_det BOOLEAN[], p_t_data TEXT[],
  p_m_inst TEXT[], p_m_exec TEXT[], p_m_vis BIGINT[], p_m_data TEXT[],
  p_state TEXT[], p_updated_at BIGINT, p_completed_at BIGINT, p_wait_keys TEXT[], p_drop BOOLEAN`;

/**
 * One turn, as postgres-turn.ts's commitTurn does it for turns without children, history reset or
 * dropWorkOf. With `p_drop` the instance's whole inbox, attached tasks and wait keys are deleted
 * (the caller passes only detached tasks and no messages to itself then).
 */
export const COMMIT_TURN_V8 = `CREATE FUNCTION swirl_commit_turn_v8(${PARAMS}) RETURNS VOID LANGUAGE plpgsql AS $fn$
DECLARE
  cur RECORD;
  n INTEGER;
BEGIN
  -- Every instance the turn writes, locked in id order (the store's one lock order).
  PERFORM 1 FROM instances WHERE instance_id = ANY(array_append(p_m_inst, p_instance)) ORDER BY instance_id FOR UPDATE;
  SELECT locked_by, lease_epoch, history_length INTO cur FROM instances WHERE instance_id = p_instance;
  IF NOT FOUND OR cur.locked_by IS DISTINCT FROM p_lease THEN
    RAISE EXCEPTION 'lease lost' USING ERRCODE = 'SW001';
  END IF;
  IF p_epoch IS NOT NULL AND cur.lease_epoch <> p_epoch THEN
    RAISE EXCEPTION '%', cur.lease_epoch USING ERRCODE = 'SW002';
  END IF;
  IF cur.history_length <> p_first_seq THEN
    RAISE EXCEPTION '%', cur.history_length USING ERRCODE = 'SW003';
  END IF;
  IF cardinality(p_done_ids) > 0 THEN
    DELETE FROM tasks t USING unnest(p_done_ids, p_done_leases) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n < (SELECT COUNT(DISTINCT x) FROM unnest(p_done_ids) AS x) THEN
      RAISE EXCEPTION 'task lease lost' USING ERRCODE = 'SW004';
    END IF;
  END IF;
  IF cardinality(p_h_seq) > 0 THEN
    INSERT INTO history (instance_id, seq, type, timestamp, data)
      SELECT p_instance, s, t, ts, d FROM unnest(p_h_seq, p_h_type, p_h_ts, p_h_data) AS h(s, t, ts, d);
  END IF;
  IF p_drop THEN
    -- A final turn: nothing of the instance stays pending (fire-and-forget tasks excepted).
    DELETE FROM inbox WHERE instance_id = p_instance;
    DELETE FROM tasks WHERE instance_id = p_instance AND NOT detached;
    DELETE FROM wait_keys WHERE instance_id = p_instance;
  ELSE
    IF cardinality(p_consumed) > 0 THEN
      DELETE FROM inbox WHERE instance_id = p_instance AND id = ANY(p_consumed);
    END IF;
    IF p_wait_keys IS NOT NULL THEN
      -- The turn changed the instance's open waits: its keys are replaced (migration 5).
      DELETE FROM wait_keys WHERE instance_id = p_instance;
      INSERT INTO wait_keys (wait_key, instance_id) SELECT DISTINCT k, p_instance FROM unnest(p_wait_keys) AS k;
    END IF;
  END IF;
  IF cardinality(p_t_inst) > 0 THEN
    INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data)
      SELECT i, e, k, nm, v, v, x, d FROM unnest(p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data)
      WITH ORDINALITY AS t(i, e, k, nm, v, x, d, o) ORDER BY o;
  END IF;
  IF cardinality(p_m_inst) > 0 THEN
    -- Messages to instances that do not exist are dropped (as in postgres-turn.ts).
    INSERT INTO inbox (instance_id, execution_id, visible_at, data)
      SELECT i, e, v, d FROM unnest(p_m_inst, p_m_exec, p_m_vis, p_m_data) WITH ORDINALITY AS m(i, e, v, d, o)
      WHERE i = p_instance OR EXISTS (SELECT 1 FROM instances x WHERE x.instance_id = i) ORDER BY o;
    UPDATE instances SET ready_at = (
        SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN instances.lock_expires_at IS NULL THEN MIN(m.visible_at)
                    ELSE GREATEST(instances.lock_expires_at, MIN(m.visible_at)) END
        FROM inbox m WHERE m.instance_id = instances.instance_id)
      WHERE instance_id = ANY(p_m_inst) AND instance_id <> p_instance;
  END IF;
  UPDATE instances SET execution_id = p_state[1], name = p_state[2], status = p_state[3], definition_hash = p_state[4],
      definition_version = p_state[5], last_updated_at = p_updated_at, completed_at = p_completed_at, input = p_state[6],
      output = p_state[7], custom_status = p_state[8], failure = p_state[9],
      history_length = p_first_seq + COALESCE(cardinality(p_h_seq), 0),
      locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL,
      ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = p_instance)
    WHERE instance_id = p_instance;
END $fn$`;

/**
 * Migration 9: `swirl_commit_turn_v8` plus two things carried in `p_state` (so the signature and
 * the batch statement stay the same): `p_state[10]` / `p_state[11]` = '1' keep the stored input /
 * output (TurnCommit.keepInput / keepOutput: the claim omitted them), and `p_state[12]` is the
 * committing store's node, recorded as the instance's `last_node` and the new tasks' `node`
 * (sticky claims, postgres-claims.ts).
 */
export const COMMIT_TURN_V9 = `CREATE FUNCTION swirl_commit_turn_v9(${PARAMS}) RETURNS VOID LANGUAGE plpgsql AS $fn$
DECLARE
  cur RECORD;
  n INTEGER;
BEGIN
  -- Every instance the turn writes, locked in id order (the store's one lock order).
  PERFORM 1 FROM instances WHERE instance_id = ANY(array_append(p_m_inst, p_instance)) ORDER BY instance_id FOR UPDATE;
  SELECT locked_by, lease_epoch, history_length INTO cur FROM instances WHERE instance_id = p_instance;
  IF NOT FOUND OR cur.locked_by IS DISTINCT FROM p_lease THEN
    RAISE EXCEPTION 'lease lost' USING ERRCODE = 'SW001';
  END IF;
  IF p_epoch IS NOT NULL AND cur.lease_epoch <> p_epoch THEN
    RAISE EXCEPTION '%', cur.lease_epoch USING ERRCODE = 'SW002';
  END IF;
  IF cur.history_length <> p_first_seq THEN
    RAISE EXCEPTION '%', cur.history_length USING ERRCODE = 'SW003';
  END IF;
  IF cardinality(p_done_ids) > 0 THEN
    DELETE FROM tasks t USING unnest(p_done_ids, p_done_leases) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n < (SELECT COUNT(DISTINCT x) FROM unnest(p_done_ids) AS x) THEN
      RAISE EXCEPTION 'task lease lost' USING ERRCODE = 'SW004';
    END IF;
  END IF;
  IF cardinality(p_h_seq) > 0 THEN
    INSERT INTO history (instance_id, seq, type, timestamp, data)
      SELECT p_instance, s, t, ts, d FROM unnest(p_h_seq, p_h_type, p_h_ts, p_h_data) AS h(s, t, ts, d);
  END IF;
  IF p_drop THEN
    -- A final turn: nothing of the instance stays pending (fire-and-forget tasks excepted).
    DELETE FROM inbox WHERE instance_id = p_instance;
    DELETE FROM tasks WHERE instance_id = p_instance AND NOT detached;
    DELETE FROM wait_keys WHERE instance_id = p_instance;
  ELSE
    IF cardinality(p_consumed) > 0 THEN
      DELETE FROM inbox WHERE instance_id = p_instance AND id = ANY(p_consumed);
    END IF;
    IF p_wait_keys IS NOT NULL THEN
      -- The turn changed the instance's open waits: its keys are replaced (migration 5).
      DELETE FROM wait_keys WHERE instance_id = p_instance;
      INSERT INTO wait_keys (wait_key, instance_id) SELECT DISTINCT k, p_instance FROM unnest(p_wait_keys) AS k;
    END IF;
  END IF;
  IF cardinality(p_t_inst) > 0 THEN
    INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node)
      SELECT i, e, k, nm, v, v, x, d, p_state[12] FROM unnest(p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data)
      WITH ORDINALITY AS t(i, e, k, nm, v, x, d, o) ORDER BY o;
  END IF;
  IF cardinality(p_m_inst) > 0 THEN
    -- Messages to instances that do not exist are dropped (as in postgres-turn.ts).
    INSERT INTO inbox (instance_id, execution_id, visible_at, data)
      SELECT i, e, v, d FROM unnest(p_m_inst, p_m_exec, p_m_vis, p_m_data) WITH ORDINALITY AS m(i, e, v, d, o)
      WHERE i = p_instance OR EXISTS (SELECT 1 FROM instances x WHERE x.instance_id = i) ORDER BY o;
    UPDATE instances SET ready_at = (
        SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN instances.lock_expires_at IS NULL THEN MIN(m.visible_at)
                    ELSE GREATEST(instances.lock_expires_at, MIN(m.visible_at)) END
        FROM inbox m WHERE m.instance_id = instances.instance_id)
      WHERE instance_id = ANY(p_m_inst) AND instance_id <> p_instance;
  END IF;
  UPDATE instances SET execution_id = p_state[1], name = p_state[2], status = p_state[3], definition_hash = p_state[4],
      definition_version = p_state[5], last_updated_at = p_updated_at, completed_at = p_completed_at,
      input = CASE WHEN p_state[10] = '1' THEN input ELSE p_state[6] END,
      output = CASE WHEN p_state[11] = '1' THEN output ELSE p_state[7] END, custom_status = p_state[8], failure = p_state[9],
      last_node = p_state[12],
      history_length = p_first_seq + COALESCE(cardinality(p_h_seq), 0),
      locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL,
      ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = p_instance)
    WHERE instance_id = p_instance;
END $fn$`;

/** One turn in a subtransaction: NULL when committed, `'<SQLSTATE>:<message>'` when a check failed (its writes rolled back). */
export const TRY_COMMIT_TURN = `CREATE FUNCTION swirl_try_commit_turn(${PARAMS}) RETURNS TEXT LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM swirl_commit_turn_v8(p_instance, p_lease, p_epoch, p_first_seq, p_done_ids, p_done_leases, p_h_seq, p_h_type, p_h_ts, p_h_data,
    p_consumed, p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data, p_m_inst, p_m_exec, p_m_vis, p_m_data,
    p_state, p_updated_at, p_completed_at, p_wait_keys, p_drop);
  RETURN NULL;
EXCEPTION WHEN SQLSTATE 'SW001' OR SQLSTATE 'SW002' OR SQLSTATE 'SW003' OR SQLSTATE 'SW004' THEN
  RETURN SQLSTATE || ':' || SQLERRM;
END $fn$`;

/** Migration 9: one turn (v9) in a subtransaction: NULL when committed, `'<SQLSTATE>:<message>'` when a check failed (its writes rolled back). */
export const TRY_COMMIT_TURN_V9 = `CREATE FUNCTION swirl_try_commit_turn_v9(${PARAMS}) RETURNS TEXT LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM swirl_commit_turn_v9(p_instance, p_lease, p_epoch, p_first_seq, p_done_ids, p_done_leases, p_h_seq, p_h_type, p_h_ts, p_h_data,
    p_consumed, p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data, p_m_inst, p_m_exec, p_m_vis, p_m_data,
    p_state, p_updated_at, p_completed_at, p_wait_keys, p_drop);
  RETURN NULL;
EXCEPTION WHEN SQLSTATE 'SW001' OR SQLSTATE 'SW002' OR SQLSTATE 'SW003' OR SQLSTATE 'SW004' THEN
  RETURN SQLSTATE || ':' || SQLERRM;
END $fn$`;
