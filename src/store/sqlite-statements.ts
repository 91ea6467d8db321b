/**
 * @module store/sqlite-statements
 * Every SQL statement of the SQLite store, prepared once per connection. Keeping the SQL in one
 * place makes it easy to check each query against the indexes declared in migrations.ts (and
 * test/store/sqlite.test.ts checks the plans of the claim, probe and wake-up paths).
 */

import type Database from 'better-sqlite3';
import { INSTANCE_COLUMNS } from './sqlite-rows.js';

/**
 * `ready_at` of an instance from its inbox: NULL when empty, else the earliest visible-at, and
 * never before its lock expires. `@lock` is the lock expiry the row has (or gets), NULL unlocked.
 */
const READY_FROM_INBOX = `(SELECT CASE WHEN @lock IS NULL THEN MIN(m.visible_at) ELSE MAX(@lock, MIN(m.visible_at)) END
   FROM inbox m WHERE m.instance_id = @id)`;

/** How the end-of-turn update sets ready_at (see {@link SqliteStatements.updateInstance}). */
export const ReadyUpdate = {
  /** From the inbox (a subquery): the general case. */
  RECOMPUTE: 'RECOMPUTE',
  /** To `@ready`, computed by the caller. */
  VALUE: 'VALUE',
  /** Not assigned: known unchanged. */
  KEEP: 'KEEP',
} as const;
export type ReadyUpdate = (typeof ReadyUpdate)[keyof typeof ReadyUpdate];
const READY_UPDATES: readonly ReadyUpdate[] = [ReadyUpdate.RECOMPUTE, ReadyUpdate.VALUE, ReadyUpdate.KEEP];

/** The values of the end-of-turn update ({@link SqliteStatements.updateInstance}). */
export interface UpdateValues {
  id: string;
  exec: string;
  name: string;
  status: string;
  hash: string | null;
  version: string | null;
  updated: number;
  completed: number | null;
  keepInput: 0 | 1;
  input: string | null;
  keepOutput: 0 | 1;
  output: string | null;
  custom: string | null;
  failure: string | null;
  length: number;
  /** ready_at for ReadyUpdate.VALUE. */
  ready: number | null;
}

/** The positional parameters of the update that {@link SqliteStatements.updateInstance} returned for the same flags. */
export function updateParams(setName: boolean, setStatus: boolean, setHash: boolean, ready: ReadyUpdate, v: UpdateValues): unknown[] {
  const p: unknown[] = [v.exec];
  if (setName) p.push(v.name);
  if (setStatus) p.push(v.status);
  if (setHash) p.push(v.hash);
  p.push(v.version, v.updated, v.completed, v.keepInput, v.input, v.keepOutput, v.output, v.custom, v.failure, v.length);
  if (ready === ReadyUpdate.RECOMPUTE) p.push(v.id);
  else if (ready === ReadyUpdate.VALUE) p.push(v.ready);
  p.push(v.id);
  return p;
}

/** Most history rows one INSERT statement appends (longer turns take several). */
export const HISTORY_ROWS_PER_INSERT = 16;

/**
 * The prepared statements. Lock rule used throughout: a lock is unexpired while
 * `lock_expires_at > now`; at `lock_expires_at <= now` the row may be claimed again.
 * `ready_at` invariant (instances and tasks): every statement that changes a row's inbox or lock
 * keeps it equal to "when this row is next claimable" (see migration 3).
 */
export class SqliteStatements {
  private readonly dynamic = new Map<string, Database.Statement>();
  private readonly updates: Array<Database.Statement | undefined> = [];
  private readonly historyInserts: Array<Database.Statement | undefined> = [];

  // instances
  readonly instanceExists: Database.Statement;
  readonly instanceStatus: Database.Statement;
  readonly instanceLock: Database.Statement;
  readonly getInstance: Database.Statement;
  readonly insertInstance: Database.Statement;
  /**
   * An instance inserted already claimed (CreateInstanceRequest.claim), as the claim right after its
   * insert would leave it. Positional, in this order: id, execution id, name, status, created (twice:
   * created and last updated), scheduled start, input, parent, definition hash and version, lease
   * epoch, ready at (the lock expiry), lease id, lock expiry, claim's last message id, claim's now.
   */
  readonly insertClaimedInstance: Database.Statement;
  readonly deleteInstance: Database.Statement;
  /** tree_size and terminating of one instance (TreeLimit, migration 7). */
  readonly treeOf: Database.Statement;
  readonly markTerminating: Database.Statement;
  readonly addTreeSize: Database.Statement;
  readonly resetTreeSize: Database.Statement;
  readonly readyInstances: Database.Statement;
  readonly readyInstancesNamed: Database.Statement;
  readonly anyReadyInstance: Database.Statement;
  readonly anyReadyInstanceNamed: Database.Statement;
  readonly instanceUnlocked: Database.Statement;
  readonly lockInstance: { atLock: Database.Statement; keep: Database.Statement; recompute: Database.Statement };
  readonly claimWindow: Database.Statement;
  readonly unlockInstance: Database.Statement;
  readonly renewInstanceLock: Database.Statement;
  readonly releaseInstances: Database.Statement;
  /** Recomputes ready_at of an unlocked instance from its inbox (after deletes). */
  readonly refreshReady: Database.Statement;
  // history
  readonly loadHistory: Database.Statement;
  readonly deleteHistory: Database.Statement;
  // inbox
  readonly insertMessage: Database.Statement;
  /** A start message inserted as taken by one claim (dequeue_count 1). Positional: instance id, execution id, visible at, data. */
  readonly insertTakenMessage: Database.Statement;
  readonly insertMessageIfExists: Database.Statement;
  /** Lowers the target's ready_at for one new message (never below its lock expiry). */
  readonly noteMessage: Database.Statement;
  readonly takeMessages: Database.Statement;
  /** The execution id of an instance whose execution has not started (history_length 0). */
  readonly unstartedExecution: Database.Statement;
  /** An instance's visible messages pinned to one execution, in id order (its start). */
  readonly pinnedMessages: Database.Statement;
  readonly delayWindow: Database.Statement;
  readonly deleteMessage: Database.Statement;
  readonly deleteInbox: Database.Statement;
  readonly deleteInboxOf: Database.Statement;
  // tasks
  /** Positional: instance id, execution id, task id, name, visible at, ready at (= visible at), detached (0/1), data. */
  readonly insertTask: Database.Statement;
  /**
   * A task inserted already leased (TurnCommit.taskLease): as if claimed right after its insert.
   * Positional: instance id, execution id, task id, name, visible at, ready at (= the lock expiry),
   * detached (0/1), data, lease id, lock expiry. Its id is the run's lastInsertRowid (no RETURNING:
   * SQLite buffers a RETURNING row and better-sqlite3 builds an object for it).
   */
  readonly insertLeasedTask: Database.Statement;
  readonly readyTasks: Database.Statement;
  readonly readyTasksNamed: Database.Statement;
  readonly anyReadyTask: Database.Statement;
  readonly anyReadyTaskNamed: Database.Statement;
  readonly lockTask: Database.Statement;
  readonly deleteLockedTask: Database.Statement;
  readonly unlockTask: Database.Statement;
  readonly renewTaskLock: Database.Statement;
  readonly releaseTasks: Database.Statement;
  readonly deleteTasks: Database.Statement;
  readonly deleteWaitKeys: Database.Statement;
  readonly insertWaitKey: Database.Statement;
  readonly findWaitKey: Database.Statement;
  readonly deleteTasksOf: Database.Statement;
  readonly deleteAttachedTasks: Database.Statement;
  // timers
  readonly nextWake: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.instanceExists = db.prepare('SELECT 1 FROM instances WHERE instance_id = ?');
    this.instanceStatus = db.prepare('SELECT status FROM instances WHERE instance_id = ?');
    this.instanceLock = db.prepare('SELECT locked_by, lease_epoch, history_length, execution_id, name, status, definition_hash, ready_at FROM instances WHERE instance_id = ?');
    this.getInstance = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?`);
    this.insertInstance = db.prepare(
      `INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input, parent_instance_id,
                              history_length, definition_hash, definition_version, lease_epoch, ready_at)
       VALUES (@id, @exec, @name, @status, @created, @created, @scheduled, @input, @parent, 0, @hash, @version, @epoch, @ready)`,
    );
    // A create with its claim: the row as the claim right after the insert leaves it (sqlite-turn createClaimed).
    this.insertClaimedInstance = db.prepare(
      `INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input, parent_instance_id,
                              history_length, definition_hash, definition_version, lease_epoch, ready_at, locked_by, lock_expires_at, claim_last_id, claim_now)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.deleteInstance = db.prepare('DELETE FROM instances WHERE instance_id = ? RETURNING lease_epoch');
    this.treeOf = db.prepare('SELECT tree_size, terminating FROM instances WHERE instance_id = ?');
    this.markTerminating = db.prepare('UPDATE instances SET terminating = 1 WHERE instance_id = ? AND terminating = 0');
    this.addTreeSize = db.prepare('UPDATE instances SET tree_size = tree_size + 1 WHERE instance_id = ?');
    this.resetTreeSize = db.prepare('UPDATE instances SET tree_size = 0 WHERE instance_id = ?');

    // Claims: the oldest-ready rows through instances_by_ready, or per served name through
    // instances_by_name_ready. Leased instances (ready_at = lock expiry) and empty inboxes
    // (NULL) are outside the range, however many messages they hold.
    this.readyInstances = db.prepare('SELECT instance_id, ready_at FROM instances WHERE ready_at <= @now ORDER BY ready_at LIMIT @limit');
    this.readyInstancesNamed = db.prepare(
      'SELECT instance_id, ready_at FROM instances WHERE name = @name AND ready_at <= @now ORDER BY ready_at LIMIT @limit',
    );
    this.anyReadyInstance = db.prepare('SELECT EXISTS (SELECT 1 FROM instances WHERE ready_at <= @now) AS found');
    this.anyReadyInstanceNamed = db.prepare('SELECT EXISTS (SELECT 1 FROM instances WHERE name = @name AND ready_at <= @now) AS found');
    this.instanceUnlocked = db.prepare('SELECT name, ready_at FROM instances WHERE instance_id = ? AND (locked_by IS NULL OR lock_expires_at <= ?)');
    // Three forms of the claim's lock, by what ready_at becomes (assigning an indexed column costs
    // index writes even when the value is unchanged): the lock expiry when the claim returned
    // messages; unchanged (NULL) for an empty inbox — the inline-completion hot path; else recomputed.
    const lock = (ready: string): Database.Statement =>
      db.prepare(
        `UPDATE instances SET locked_by = @lease, lock_expires_at = @lock, lease_epoch = lease_epoch + 1, claim_last_id = @last, claim_now = @now${ready}
         WHERE instance_id = @id RETURNING ${INSTANCE_COLUMNS}, lease_epoch`,
      );
    this.lockInstance = { atLock: lock(', ready_at = @lock'), keep: lock(''), recompute: lock(`, ready_at = ${READY_FROM_INBOX}`) };
    this.claimWindow = db.prepare('SELECT claim_last_id, claim_now FROM instances WHERE instance_id = ? AND locked_by = ?');
    this.unlockInstance = db.prepare(
      `UPDATE instances SET locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL, ready_at = ${READY_FROM_INBOX}
       WHERE instance_id = @id AND locked_by = @lease`,
    );
    this.renewInstanceLock = db.prepare(
      `UPDATE instances SET lock_expires_at = @lock, ready_at = ${READY_FROM_INBOX} WHERE instance_id = @id AND locked_by = @lease`,
    );
    // substr, not LIKE: '_' and '%' in a lease id are ordinary characters here.
    this.releaseInstances = db.prepare(
      `UPDATE instances SET locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL,
         ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = instances.instance_id)
       WHERE locked_by IS NOT NULL AND substr(locked_by, 1, length(@prefix)) = @prefix`,
    );
    this.refreshReady = db.prepare('UPDATE instances SET ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = @id) WHERE instance_id = @id');

    this.loadHistory = db.prepare('SELECT seq, type, timestamp, data FROM history WHERE instance_id = ? AND seq >= ? ORDER BY seq');
    this.deleteHistory = db.prepare('DELETE FROM history WHERE instance_id = ?');

    this.insertMessage = db.prepare('INSERT INTO inbox (instance_id, execution_id, visible_at, data) VALUES (@id, @exec, @visible, @data)');
    this.insertTakenMessage = db.prepare('INSERT INTO inbox (instance_id, execution_id, visible_at, data, dequeue_count) VALUES (?, ?, ?, ?, 1)');
    this.insertMessageIfExists = db.prepare(
      `INSERT INTO inbox (instance_id, execution_id, visible_at, data)
       SELECT @id, @exec, @visible, @data WHERE EXISTS (SELECT 1 FROM instances WHERE instance_id = @id)`,
    );
    // ready_at is MIN(visible_at) (unlocked) or MAX(lock, MIN(visible_at)) (locked); both are
    // monotone in the inbox minimum, so one new message needs no look at the rest of the inbox.
    this.noteMessage = db.prepare(
      `UPDATE instances SET ready_at = CASE WHEN lock_expires_at IS NULL THEN MIN(COALESCE(ready_at, @visible), @visible)
                                            ELSE MAX(lock_expires_at, MIN(COALESCE(ready_at, @visible), @visible)) END
       WHERE instance_id = @id`,
    );
    // Counting this delivery: exactly the rows visibleMessages returned (the first `limit`
    // visible ones by id end at @last). A range update, not UPDATE … WHERE id IN (…) RETURNING,
    // which builds two ephemeral tables per call even when nothing matches.
    // INDEXED BY: walk the window by id; the (instance_id, visible_at) index would visit every
    // visible message of the instance (a fan-in of 100k events), not just the window.
    this.takeMessages = db.prepare(
      'UPDATE inbox INDEXED BY inbox_by_instance SET dequeue_count = dequeue_count + 1 WHERE instance_id = @id AND visible_at <= @now AND id <= @last',
    );
    this.unstartedExecution = db.prepare('SELECT execution_id FROM instances WHERE instance_id = @id AND history_length = 0');
    this.pinnedMessages = db.prepare(
      'SELECT id, instance_id, visible_at, dequeue_count, data FROM inbox INDEXED BY inbox_by_instance WHERE instance_id = @id AND execution_id = @exec AND visible_at <= @now ORDER BY id',
    );
    // abandon(visibleAt): the same window again (visible at the claim's now, id <= its last).
    this.delayWindow = db.prepare('UPDATE inbox INDEXED BY inbox_by_instance SET visible_at = @visible WHERE instance_id = @id AND id <= @last AND visible_at <= @now');
    this.deleteMessage = db.prepare('DELETE FROM inbox WHERE id = ? AND instance_id = ?');
    this.deleteInbox = db.prepare('DELETE FROM inbox WHERE instance_id = ?');
    this.deleteInboxOf = db.prepare('DELETE FROM inbox WHERE instance_id = ? AND execution_id = ?');

    this.insertTask = db.prepare(
      'INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertLeasedTask = db.prepare(
      `INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, locked_by, lock_expires_at, dequeue_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    );
    // Tasks: ready_at = lock expiry while leased, else visible_at; claims are oldest-ready first.
    this.readyTasks = db.prepare('SELECT id, ready_at FROM tasks WHERE ready_at <= @now ORDER BY ready_at, id LIMIT @limit');
    this.readyTasksNamed = db.prepare('SELECT id, ready_at FROM tasks WHERE name = @name AND ready_at <= @now ORDER BY ready_at, id LIMIT @limit');
    this.anyReadyTask = db.prepare('SELECT EXISTS (SELECT 1 FROM tasks WHERE ready_at <= @now) AS found');
    this.anyReadyTaskNamed = db.prepare('SELECT EXISTS (SELECT 1 FROM tasks WHERE name = @name AND ready_at <= @now) AS found');
    this.lockTask = db.prepare(
      `UPDATE tasks SET locked_by = @lease, lock_expires_at = @expires, ready_at = @expires, dequeue_count = dequeue_count + 1 WHERE id = @id
       RETURNING id, instance_id, execution_id, task_id, name, visible_at, dequeue_count, locked_by, detached, data`,
    );
    this.deleteLockedTask = db.prepare('DELETE FROM tasks WHERE id = ? AND locked_by = ?');
    this.unlockTask = db.prepare(
      `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, visible_at = COALESCE(@visible, visible_at), ready_at = COALESCE(@visible, visible_at)
       WHERE id = @id AND locked_by = @lease`,
    );
    this.renewTaskLock = db.prepare('UPDATE tasks SET lock_expires_at = @expires, ready_at = @expires WHERE id = @id AND locked_by = @lease');
    this.releaseTasks = db.prepare(
      `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, ready_at = visible_at
       WHERE locked_by IS NOT NULL AND substr(locked_by, 1, length(@prefix)) = @prefix`,
    );
    this.deleteTasks = db.prepare('DELETE FROM tasks WHERE instance_id = ?');
    // Wait keys (migration 5): replaced by each turn that changes them, read by the event router.
    this.deleteWaitKeys = db.prepare('DELETE FROM wait_keys WHERE instance_id = ?');
    this.insertWaitKey = db.prepare('INSERT OR IGNORE INTO wait_keys (wait_key, instance_id) VALUES (?, ?)');
    this.findWaitKey = db.prepare('SELECT instance_id FROM wait_keys WHERE wait_key = ? ORDER BY instance_id LIMIT ?');
    // An ended execution's tasks, but not fire-and-forget ones (they outlive the instance).
    this.deleteAttachedTasks = db.prepare('DELETE FROM tasks WHERE instance_id = ? AND detached = 0');
    this.deleteTasksOf = db.prepare('DELETE FROM tasks WHERE instance_id = ? AND execution_id = ? AND detached = 0');

    // Two index seeks (instances_by_ready, tasks_by_ready).
    this.nextWake = db.prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(ready_at) AS t FROM instances WHERE ready_at > @now
         UNION ALL SELECT MIN(ready_at) FROM tasks WHERE ready_at > @now)`,
    );
  }

  /**
   * The end-of-turn update: rewrites the state, releases the lock and sets ready_at (the turn's
   * inbox changes have run) as `ready` says: recomputed from the inbox, `@ready` (computed by the
   * caller), or left alone (known unchanged). SQLite rewrites the entries of every index whose
   * column a SET assigns, changed or not, so name, status, definition hash and ready_at are set
   * only when they may change (most turns change none): one prepared statement per combination.
   * Parameters are positional (binding a named-parameter object cost ~1 µs more per run, on every
   * turn), in this order: execution id, [name], [status], [definition hash], definition version,
   * last updated, completed at, keep input (0/1), input, keep output (0/1), output, custom status,
   * failure, history length, [instance id: RECOMPUTE | ready at: VALUE], instance id — the
   * bracketed ones only when the statement sets them ({@link updateParams} builds the list).
   */
  updateInstance(setName: boolean, setStatus: boolean, setHash: boolean, ready: ReadyUpdate = ReadyUpdate.RECOMPUTE): Database.Statement {
    const key = ((setName ? 4 : 0) + (setStatus ? 2 : 0) + (setHash ? 1 : 0)) * 3 + READY_UPDATES.indexOf(ready);
    // Looked up by number: building and hashing the SQL text on every commit showed in profiles.
    let statement = this.updates[key];
    if (statement === undefined) statement = this.updates[key] = this.prepareUpdate(setName, setStatus, setHash, ready);
    return statement;
  }

  private prepareUpdate(setName: boolean, setStatus: boolean, setHash: boolean, ready: ReadyUpdate): Database.Statement {
    let readySql: string;
    switch (ready) {
      case ReadyUpdate.RECOMPUTE:
        readySql = ', ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = ?)';
        break;
      case ReadyUpdate.VALUE:
        readySql = ', ready_at = ?';
        break;
      case ReadyUpdate.KEEP:
        readySql = '';
        break;
      default: {
        const never: never = ready;
        throw new Error(`unknown ready update ${String(never)}`);
      }
    }
    return this.db.prepare(
      `UPDATE instances SET execution_id = ?, ${setName ? 'name = ?, ' : ''}${setStatus ? 'status = ?, ' : ''}${setHash ? 'definition_hash = ?, ' : ''}
         definition_version = ?, last_updated_at = ?, completed_at = ?,
         input = CASE WHEN ? = 1 THEN input ELSE ? END, output = CASE WHEN ? = 1 THEN output ELSE ? END,
         custom_status = ?, failure = ?, history_length = ?,
         locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL${readySql}
       WHERE instance_id = ?`,
    );
  }

  /**
   * INSERT of `count` history rows in one statement (1 ≤ count ≤ {@link HISTORY_ROWS_PER_INSERT}),
   * prepared once per count: a turn appends its events with one statement instead of one each
   * (4 per step of a chain; the per-statement bind/step/reset showed in profiles). Parameters:
   * instance id, seq, type, timestamp, data of each row in turn.
   */
  insertHistoryRows(count: number): Database.Statement {
    let statement = this.historyInserts[count];
    if (statement === undefined) {
      const rows = Array.from({ length: count }, () => '(?, ?, ?, ?, ?)').join(', ');
      statement = this.historyInserts[count] = this.db.prepare(`INSERT INTO history (instance_id, seq, type, timestamp, data) VALUES ${rows}`);
    }
    return statement;
  }

  /**
   * An instance's visible messages in id order, at most `limit` (a claim's maxMessagesPerInstance).
   * The limit is written into the SQL, one prepared statement per distinct value (in practice one):
   * with `LIMIT ?` SQLite spent ~3× longer on this query, which runs on every claim.
   */
  visibleMessages(limit: number): Database.Statement {
    // A negative LIMIT is no limit in SQLite (for a non-finite request).
    const n = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1;
    // INDEXED BY: in id order, stopping after `limit` rows, instead of sorting every visible message.
    return this.cached(
      `SELECT id, instance_id, visible_at, dequeue_count, data FROM inbox INDEXED BY inbox_by_instance WHERE instance_id = @id AND visible_at <= @now ORDER BY id LIMIT ${n}`,
    );
  }

  /** A statement built at run time (instance queries), prepared once per distinct text. */
  cached(text: string): Database.Statement {
    let statement = this.dynamic.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.dynamic.set(text, statement);
    }
    return statement;
  }
}
