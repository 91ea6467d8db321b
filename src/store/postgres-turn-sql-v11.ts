/**
 * @module store/postgres-turn-sql-v11
 * The plpgsql function of migration 11 (migrations.ts): `swirl_commit_turns_v11`, group commit of
 * several turns (postgres-turn-batch.ts) as SET-BASED statements. Migration 10's batch called
 * `swirl_try_commit_turn_v10` once per turn — 32 parameters, a subtransaction and ~8 statements
 * (each an executor start-up opening its table and indexes) per turn; this function takes the
 * whole batch as one set of column arrays (each row tagged with its turn's number `k`, 1-based)
 * and runs ~12 statements for the batch, whatever its size (bench/README.md, PostgreSQL,
 * 2026-12-07).
 *
 * Same outcome per turn as v10's function: every check is made first, under the row locks, for
 * every turn (lease or claim-free state, epoch, history length, the leases of its completed
 * tasks), and only the turns that pass are written — a failed turn writes nothing and fails alone
 * (`'<SQLSTATE>:<message>'` in its slot of the result), the others commit; a committed turn's slot
 * is `'+'` and the ids of the tasks it inserted leased (comma-separated, insertion order). The
 * caller sends at most one turn per instance. Writes are the v10 function's, for all passing turns
 * at once: done-task deletes, history, final turns' drops, consumed messages, wait keys, tasks,
 * messages (to existing instances), ready_at refreshes of the other instances written to, and the
 * turns' own instance updates last (their ready_at sees every message of the batch). One order
 * differs from running the turns one after another and is itself such an order: every final
 * turn's drop comes before every message insert. A claim-free turn (free_exec) is refused (SW005)
 * also when another turn of the batch sends its instance a message visible at its `free_now`.
 */

/** The parameters: per turn (index k), then per completed task / history event / consumed message / wait key / task / message, tagged with k. */
const PARAMS = `p_inst TEXT[], p_lease TEXT[], p_epoch BIGINT[], p_first_seq INTEGER[], p_h_len INTEGER[],
  p_s_exec TEXT[], p_s_name TEXT[], p_s_status TEXT[], p_s_hash TEXT[], p_s_ver TEXT[], p_s_input TEXT[], p_s_output TEXT[],
  p_s_custom TEXT[], p_s_failure TEXT[], p_keep_in BOOLEAN[], p_keep_out BOOLEAN[], p_node TEXT,
  p_updated_at BIGINT[], p_completed_at BIGINT[], p_drop BOOLEAN[], p_wk_set BOOLEAN[],
  p_t_lease TEXT[], p_t_until BIGINT[], p_free_now BIGINT[], p_free_exec TEXT[],
  p_d_k INTEGER[], p_d_id BIGINT[], p_d_lease TEXT[],
  p_h_k INTEGER[], p_h_seq INTEGER[], p_h_type TEXT[], p_h_ts BIGINT[], p_h_data TEXT[],
  p_c_k INTEGER[], p_c_id BIGINT[],
  p_w_k INTEGER[], p_w_key TEXT[],
  p_t_k INTEGER[], p_t_inst TEXT[], p_t_exec TEXT[], p_t_task INTEGER[], p_t_name TEXT[], p_t_vis BIGINT[], p_t_det BOOLEAN[], p_t_data TEXT[], p_t_leased BOOLEAN[],
  p_m_k INTEGER[], p_m_inst TEXT[], p_m_exec TEXT[], p_m_vis BIGINT[], p_m_data TEXT[]`;

/** How many parameters `swirl_commit_turns_v11` takes. */
export const COMMIT_TURNS_V11_PARAMS = PARAMS.split(',').length;

export const COMMIT_TURNS_V11 = `CREATE FUNCTION swirl_commit_turns_v11(${PARAMS}) RETURNS TEXT[] LANGUAGE plpgsql AS $fn$
DECLARE
  res TEXT[];
  ok BOOLEAN[];
  okInst TEXT[];
  ids BIGINT[];
BEGIN
  -- Every instance the batch writes, locked in id order (the store's one lock order), then the completed tasks.
  PERFORM 1 FROM instances WHERE instance_id = ANY(p_inst || p_m_inst) ORDER BY instance_id FOR UPDATE;
  IF cardinality(p_d_id) > 0 THEN
    PERFORM 1 FROM tasks WHERE id = ANY(p_d_id) ORDER BY id FOR UPDATE;
  END IF;
  -- The checks of every turn, in v10's order.
  SELECT array_agg(r ORDER BY k) INTO res FROM (
    SELECT c.k, CASE
      WHEN p_free_exec[c.k] IS NOT NULL AND (x.instance_id IS NULL OR x.locked_by IS NOT NULL OR x.execution_id IS DISTINCT FROM p_free_exec[c.k]
             OR x.ready_at <= p_free_now[c.k]
             OR EXISTS (SELECT 1 FROM unnest(p_m_k, p_m_inst, p_m_vis) AS m(k, i, v) WHERE m.k <> c.k AND m.i = p_inst[c.k] AND m.v <= p_free_now[c.k]))
        THEN 'SW005:changed'
      WHEN p_free_exec[c.k] IS NULL AND (x.instance_id IS NULL OR x.locked_by IS DISTINCT FROM p_lease[c.k]) THEN 'SW001:lease lost'
      WHEN p_free_exec[c.k] IS NULL AND p_epoch[c.k] IS NOT NULL AND x.lease_epoch <> p_epoch[c.k] THEN 'SW002:' || x.lease_epoch
      WHEN x.history_length <> p_first_seq[c.k] THEN 'SW003:' || x.history_length
      -- As v10: fewer of its completed tasks found under their leases than distinct ids listed.
      WHEN cardinality(p_d_id) > 0 AND (SELECT count(DISTINCT d.id) FROM unnest(p_d_k, p_d_id) AS d(k, id) WHERE d.k = c.k) >
           (SELECT count(DISTINCT t.id) FROM unnest(p_d_k, p_d_id, p_d_lease) AS d(k, id, lease) JOIN tasks t ON t.id = d.id AND t.locked_by = d.lease WHERE d.k = c.k)
        THEN 'SW004:task lease lost'
      ELSE '+' END AS r
    FROM generate_subscripts(p_inst, 1) AS c(k) LEFT JOIN instances x ON x.instance_id = p_inst[c.k]) checked;
  SELECT array_agg(r = '+' ORDER BY k) INTO ok FROM unnest(res) WITH ORDINALITY AS u(r, k);
  SELECT COALESCE(array_agg(p_inst[k]), '{}') INTO okInst FROM generate_subscripts(p_inst, 1) AS k WHERE ok[k];
  IF cardinality(okInst) = 0 THEN
    RETURN res;
  END IF;
  IF cardinality(p_d_id) > 0 THEN
    DELETE FROM tasks t USING unnest(p_d_k, p_d_id, p_d_lease) AS d(k, id, lease) WHERE ok[d.k] AND t.id = d.id AND t.locked_by = d.lease;
  END IF;
  IF cardinality(p_h_seq) > 0 THEN
    INSERT INTO history (instance_id, seq, type, timestamp, data)
      SELECT p_inst[k], s, t, ts, d FROM unnest(p_h_k, p_h_seq, p_h_type, p_h_ts, p_h_data) AS h(k, s, t, ts, d) WHERE ok[k];
  END IF;
  IF true = ANY(p_drop) THEN
    -- Final turns: nothing of the instance stays pending (fire-and-forget tasks excepted).
    DELETE FROM inbox WHERE instance_id IN (SELECT p_inst[k] FROM generate_subscripts(p_inst, 1) AS k WHERE ok[k] AND p_drop[k]);
    DELETE FROM tasks WHERE instance_id IN (SELECT p_inst[k] FROM generate_subscripts(p_inst, 1) AS k WHERE ok[k] AND p_drop[k]) AND NOT detached;
  END IF;
  IF cardinality(p_c_id) > 0 THEN
    DELETE FROM inbox i USING unnest(p_c_k, p_c_id) AS c(k, id) WHERE ok[c.k] AND NOT p_drop[c.k] AND i.instance_id = p_inst[c.k] AND i.id = c.id;
  END IF;
  IF true = ANY(p_drop) OR true = ANY(p_wk_set) THEN
    -- A final turn's keys go; a turn that changed its instance's open waits replaces them (migration 5).
    DELETE FROM wait_keys WHERE instance_id IN (SELECT p_inst[k] FROM generate_subscripts(p_inst, 1) AS k WHERE ok[k] AND (p_drop[k] OR p_wk_set[k]));
    INSERT INTO wait_keys (wait_key, instance_id)
      SELECT DISTINCT w.key, p_inst[w.k] FROM unnest(p_w_k, p_w_key) AS w(k, key) WHERE ok[w.k] AND p_wk_set[w.k] AND NOT p_drop[w.k];
  END IF;
  IF cardinality(p_t_k) > 0 THEN
    -- Ids come from the sequence in insertion order (ORDER BY o), so the j-th id is the j-th inserted task.
    WITH ins AS (
      INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node, locked_by, lock_expires_at, dequeue_count)
        SELECT i, e, tk, nm, v, CASE WHEN l THEN p_t_until[k] ELSE v END, x, d, p_node,
               CASE WHEN l THEN p_t_lease[k] END, CASE WHEN l THEN p_t_until[k] END, CASE WHEN l THEN 1 ELSE 0 END
        FROM unnest(p_t_k, p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data, p_t_leased)
        WITH ORDINALITY AS t(k, i, e, tk, nm, v, x, d, l, o) WHERE ok[k] ORDER BY o
        RETURNING id)
    SELECT array_agg(id ORDER BY id) INTO ids FROM ins;
    -- Each committed turn's slot: '+' and the ids of its leased tasks.
    SELECT array_agg(CASE WHEN ok[s.k] THEN '+' || COALESCE(l.ids, '') ELSE res[s.k] END ORDER BY s.k) INTO res
      FROM generate_subscripts(p_inst, 1) AS s(k)
      LEFT JOIN (SELECT j.k, string_agg(ids[j.n]::text, ',' ORDER BY j.n) AS ids
                   FROM (SELECT t.k, t.l, row_number() OVER (ORDER BY t.o) AS n
                           FROM unnest(p_t_k, p_t_leased) WITH ORDINALITY AS t(k, l, o) WHERE ok[t.k]) j
                  WHERE j.l GROUP BY j.k) l ON l.k = s.k;
  END IF;
  IF cardinality(p_m_k) > 0 THEN
    -- Messages to instances that do not exist are dropped (as in postgres-turn.ts).
    INSERT INTO inbox (instance_id, execution_id, visible_at, data)
      SELECT i, e, v, d FROM unnest(p_m_k, p_m_inst, p_m_exec, p_m_vis, p_m_data) WITH ORDINALITY AS m(k, i, e, v, d, o)
      WHERE ok[k] AND (i = p_inst[k] OR EXISTS (SELECT 1 FROM instances x WHERE x.instance_id = i)) ORDER BY o;
    UPDATE instances SET ready_at = (
        SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN instances.lock_expires_at IS NULL THEN MIN(m.visible_at)
                    ELSE GREATEST(instances.lock_expires_at, MIN(m.visible_at)) END
        FROM inbox m WHERE m.instance_id = instances.instance_id)
      WHERE instance_id IN (SELECT m.i FROM unnest(p_m_k, p_m_inst) AS m(k, i) WHERE ok[m.k]) AND NOT (instance_id = ANY(okInst));
  END IF;
  UPDATE instances x SET execution_id = p_s_exec[u.k], name = p_s_name[u.k], status = p_s_status[u.k], definition_hash = p_s_hash[u.k],
      definition_version = p_s_ver[u.k], last_updated_at = p_updated_at[u.k], completed_at = p_completed_at[u.k],
      input = CASE WHEN p_keep_in[u.k] THEN x.input ELSE p_s_input[u.k] END,
      output = CASE WHEN p_keep_out[u.k] THEN x.output ELSE p_s_output[u.k] END, custom_status = p_s_custom[u.k], failure = p_s_failure[u.k],
      last_node = p_node, history_length = p_first_seq[u.k] + p_h_len[u.k],
      locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL,
      ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = x.instance_id)
    FROM generate_subscripts(p_inst, 1) AS u(k)
    WHERE ok[u.k] AND x.instance_id = p_inst[u.k];
  RETURN res;
END $fn$`;
