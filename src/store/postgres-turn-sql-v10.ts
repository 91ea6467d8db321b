/**
 * @module store/postgres-turn-sql-v10
 * The plpgsql functions of migration 10 (migrations.ts): `swirl_commit_turn_v10`, migration 9's
 * one-statement turn commit plus the turn shortcuts of store feature `turnShortcuts`
 * (specs/store-postgres.md, "Turn shortcuts"), and `swirl_try_commit_turn_v10`, the same in a
 * subtransaction for group commit (postgres-turn-batch.ts). Version 9's functions stay for nodes
 * of the previous build.
 */

/** The 32 parameters: migration 9's 27, then the task lease and the claim-free check. */
const PARAMS = `p_instance TEXT, p_lease TEXT, p_epoch BIGINT, p_first_seq INTEGER,
  p_done_ids BIGINT[], p_done_leases TEXT[],
  p_h_seq INTEGER[], p_h_type TEXT[], p_h_ts BIGINT[], p_h_data TEXT[],
  p_consumed BIGINT[],
  p_t_inst TEXT[], p_t_exec TEXT[], p_t_task INTEGER[], p_t_name TEXT[], p_t_vis BIGINT[], p_t_det BOOLEAN[], p_t_data TEXT[],
  p_m_inst TEXT[], p_m_exec TEXT[], p_m_vis BIGINT[], p_m_data TEXT[],
  p_state TEXT[], p_updated_at BIGINT, p_completed_at BIGINT, p_wait_keys TEXT[], p_drop BOOLEAN,
  p_t_leased BOOLEAN[], p_t_lease TEXT, p_t_until BIGINT, p_free_now BIGINT, p_free_exec TEXT`;

/** The argument list of a call with the same names. */
const ARGS = PARAMS.split(',')
  .map((p) => p.trim().split(/\s+/)[0])
  .join(', ');

/**
 * One turn, as `swirl_commit_turn_v9` (migration 9), plus:
 * - `p_t_leased[k]`: task k is inserted already locked by `p_t_lease` until `p_t_until`
 *   (ready_at = the lock expiry, dequeue_count 1: what claimTasks right after would write);
 *   the function returns the ids of the leased tasks in insertion order (TurnCommit.taskLease);
 * - `p_free_exec` not NULL: a claim-free turn (TurnCommit.claimless) — instead of the lease and
 *   epoch checks the instance must be unlocked (no lock at all, expired or not), at execution
 *   `p_free_exec`, with no inbox message visible at `p_free_now` (ready_at of an unlocked row is
 *   its inbox's earliest visible-at), else SW005 (LEASE_LOST); the epoch is left as it is.
 */
export const COMMIT_TURN_V10 = `CREATE FUNCTION swirl_commit_turn_v10(${PARAMS}) RETURNS BIGINT[] LANGUAGE plpgsql AS $fn$
DECLARE
  cur RECORD;
  n INTEGER;
  leased BIGINT[];
BEGIN
  -- Every instance the turn writes, locked in id order (the store's one lock order).
  PERFORM 1 FROM instances WHERE instance_id = ANY(array_append(p_m_inst, p_instance)) ORDER BY instance_id FOR UPDATE;
  SELECT locked_by, lease_epoch, history_length, execution_id, ready_at INTO cur FROM instances WHERE instance_id = p_instance;
  IF p_free_exec IS NOT NULL THEN
    IF NOT FOUND OR cur.locked_by IS NOT NULL OR cur.execution_id IS DISTINCT FROM p_free_exec OR cur.ready_at <= p_free_now THEN
      RAISE EXCEPTION 'changed' USING ERRCODE = 'SW005';
    END IF;
  ELSE
    IF NOT FOUND OR cur.locked_by IS DISTINCT FROM p_lease THEN
      RAISE EXCEPTION 'lease lost' USING ERRCODE = 'SW001';
    END IF;
    IF p_epoch IS NOT NULL AND cur.lease_epoch <> p_epoch THEN
      RAISE EXCEPTION '%', cur.lease_epoch USING ERRCODE = 'SW002';
    END IF;
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
    -- Ids come from the sequence in insertion order (ORDER BY o), so ORDER BY id is the tasks' order.
    WITH ins AS (
      INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node, locked_by, lock_expires_at, dequeue_count)
        SELECT i, e, k, nm, v, CASE WHEN l THEN p_t_until ELSE v END, x, d, p_state[12],
               CASE WHEN l THEN p_t_lease END, CASE WHEN l THEN p_t_until END, CASE WHEN l THEN 1 ELSE 0 END
        FROM unnest(p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data, p_t_leased)
        WITH ORDINALITY AS t(i, e, k, nm, v, x, d, l, o) WHERE i IS NOT NULL ORDER BY o
        RETURNING id, locked_by)
    SELECT array_agg(id ORDER BY id) FILTER (WHERE locked_by IS NOT NULL) INTO leased FROM ins;
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
  RETURN COALESCE(leased, '{}');
END $fn$`;

/**
 * One turn (v10) in a subtransaction: `'+'` and the leased task ids (comma-separated) when
 * committed, `'<SQLSTATE>:<message>'` when a check failed (its writes rolled back).
 */
export const TRY_COMMIT_TURN_V10 = `CREATE FUNCTION swirl_try_commit_turn_v10(${PARAMS}) RETURNS TEXT LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN '+' || array_to_string(swirl_commit_turn_v10(${ARGS}), ',');
EXCEPTION WHEN SQLSTATE 'SW001' OR SQLSTATE 'SW002' OR SQLSTATE 'SW003' OR SQLSTATE 'SW004' OR SQLSTATE 'SW005' THEN
  RETURN SQLSTATE || ':' || SQLERRM;
END $fn$`;
