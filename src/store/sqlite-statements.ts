/**
 * @module store/sqlite-statements
 * Every SQL statement of the SQLite store, prepared once per connection. Keeping the SQL in one
 * place makes it easy to check each query against the indexes declared in migrations.ts.
 */

import type Database from 'better-sqlite3';
import { INSTANCE_COLUMNS } from './sqlite-rows.js';

/**
 * The prepared statements. Lock rule used throughout: a lock is unexpired while
 * `lock_expires_at > now`; at `lock_expires_at <= now` the row may be claimed again.
 */
export class SqliteStatements {
  private readonly dynamic = new Map<string, Database.Statement>();

  // instances
  readonly instanceExists: Database.Statement;
  readonly instanceStatus: Database.Statement;
  readonly instanceLock: Database.Statement;
  readonly getInstance: Database.Statement;
  readonly insertInstance: Database.Statement;
  /**
   * The end-of-turn update, indexed by [name changes][status changes]: SQLite rewrites the entries
   * of every index whose column a SET assigns, changed or not, so an unchanged name or status
   * (most turns) is left out of the statement.
   */
  readonly updateInstance: Database.Statement[][];
  readonly deleteInstance: Database.Statement;
  readonly claimableInstances: Database.Statement;
  readonly instanceUnlocked: Database.Statement;
  readonly expiredInstances: Database.Statement;
  readonly anyClaimableInstance: Database.Statement;
  readonly lockInstance: Database.Statement;
  readonly unlockInstance: Database.Statement;
  readonly renewInstanceLock: Database.Statement;
  // history
  readonly insertHistory: Database.Statement;
  readonly loadHistory: Database.Statement;
  readonly deleteHistory: Database.Statement;
  // inbox
  readonly insertMessage: Database.Statement;
  readonly insertMessageIfExists: Database.Statement;
  readonly takeMessages: Database.Statement;
  readonly releaseMessages: Database.Statement;
  readonly releaseMessagesAt: Database.Statement;
  readonly deleteMessage: Database.Statement;
  readonly deleteInbox: Database.Statement;
  // tasks
  readonly insertTask: Database.Statement;
  readonly untakenTaskIds: Database.Statement;
  readonly expiredTaskIds: Database.Statement;
  readonly lockTask: Database.Statement;
  readonly anyClaimableTask: Database.Statement;
  readonly deleteLockedTask: Database.Statement;
  readonly unlockTask: Database.Statement;
  readonly renewTaskLock: Database.Statement;
  readonly deleteTasks: Database.Statement;
  // timers
  readonly nextWake: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.instanceExists = db.prepare('SELECT 1 FROM instances WHERE instance_id = ?');
    this.instanceStatus = db.prepare('SELECT status FROM instances WHERE instance_id = ?');
    this.instanceLock = db.prepare('SELECT locked_by, history_length, name, status FROM instances WHERE instance_id = ?');
    this.getInstance = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?`);
    this.insertInstance = db.prepare(
      `INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input, parent_instance_id, history_length)
       VALUES (@id, @exec, @name, @status, @created, @created, @scheduled, @input, @parent, 0)`,
    );
    this.updateInstance = [false, true].map((setName) =>
      [false, true].map((setStatus) =>
        db.prepare(
          `UPDATE instances SET execution_id = @exec, ${setName ? 'name = @name, ' : ''}${setStatus ? 'status = @status, ' : ''}last_updated_at = @updated,
             completed_at = @completed, input = @input, output = @output, custom_status = @custom, failure = @failure,
             history_length = @length, locked_by = NULL, lock_expires_at = NULL
           WHERE instance_id = @id`,
        ),
      ),
    );
    this.deleteInstance = db.prepare('DELETE FROM instances WHERE instance_id = ?');
    // Claim candidates, in two parts. Untaken visible messages in (visible_at, id) order through
    // the partial index inbox_untaken, joined to unlocked instances (a message that arrived during
    // another worker's turn is untaken but its instance is locked). And instances whose lease
    // expired (a dead worker) with visible messages, through instances_by_lock. Invariant kept by
    // every write: a message is taken (locked_by set) only while its instance is locked.
    this.claimableInstances = db.prepare(
      `SELECT m.instance_id FROM inbox m JOIN instances i ON i.instance_id = m.instance_id
       WHERE m.locked_by IS NULL AND m.visible_at <= @now AND (i.locked_by IS NULL OR i.lock_expires_at <= @now)
       ORDER BY m.visible_at, m.id`,
    );
    this.instanceUnlocked = db.prepare('SELECT 1 FROM instances WHERE instance_id = ? AND (locked_by IS NULL OR lock_expires_at <= ?)');
    this.expiredInstances = db.prepare(
      `SELECT i.instance_id FROM instances i
       WHERE i.lock_expires_at <= @now AND EXISTS (SELECT 1 FROM inbox m WHERE m.instance_id = i.instance_id AND m.visible_at <= @now)
       ORDER BY i.lock_expires_at LIMIT @limit`,
    );
    this.anyClaimableInstance = db.prepare(
      `SELECT EXISTS (SELECT 1 FROM inbox m JOIN instances i ON i.instance_id = m.instance_id
                      WHERE m.locked_by IS NULL AND m.visible_at <= @now AND (i.locked_by IS NULL OR i.lock_expires_at <= @now))
           OR EXISTS (SELECT 1 FROM instances i WHERE i.lock_expires_at <= @now
                      AND EXISTS (SELECT 1 FROM inbox m WHERE m.instance_id = i.instance_id AND m.visible_at <= @now)) AS found`,
    );
    this.lockInstance = db.prepare(
      `UPDATE instances SET locked_by = @lease, lock_expires_at = @expires WHERE instance_id = @id RETURNING ${INSTANCE_COLUMNS}`,
    );
    this.unlockInstance = db.prepare('UPDATE instances SET locked_by = NULL, lock_expires_at = NULL WHERE instance_id = ? AND locked_by = ?');
    this.renewInstanceLock = db.prepare('UPDATE instances SET lock_expires_at = ? WHERE instance_id = ? AND locked_by = ?');

    this.insertHistory = db.prepare('INSERT INTO history (instance_id, seq, type, timestamp, data) VALUES (?, ?, ?, ?, ?)');
    this.loadHistory = db.prepare('SELECT seq, type, timestamp, data FROM history WHERE instance_id = ? AND seq >= ? ORDER BY seq');
    this.deleteHistory = db.prepare('DELETE FROM history WHERE instance_id = ?');

    this.insertMessage = db.prepare('INSERT INTO inbox (instance_id, visible_at, data) VALUES (?, ?, ?)');
    this.insertMessageIfExists = db.prepare(
      `INSERT INTO inbox (instance_id, visible_at, data)
       SELECT @id, @visible, @data WHERE EXISTS (SELECT 1 FROM instances WHERE instance_id = @id)`,
    );
    // Taking messages is a read (visibleMessages) and, only when it found some, one range update: an UPDATE … WHERE
    // id IN (subquery) RETURNING builds two ephemeral tables per call even when nothing matches,
    // which is the common case of a claim made to record an activity result inline.
    // Exactly the rows visibleMessages returned: the first `limit` visible ones by id end at @last.
    this.takeMessages = db.prepare(
      'UPDATE inbox SET dequeue_count = dequeue_count + 1, locked_by = @lease WHERE instance_id = @id AND visible_at <= @now AND id <= @last',
    );
    this.releaseMessages = db.prepare('UPDATE inbox SET locked_by = NULL WHERE instance_id = ? AND locked_by = ?');
    this.releaseMessagesAt = db.prepare('UPDATE inbox SET locked_by = NULL, visible_at = ? WHERE instance_id = ? AND locked_by = ?');
    this.deleteMessage = db.prepare('DELETE FROM inbox WHERE id = ? AND instance_id = ?');
    this.deleteInbox = db.prepare('DELETE FROM inbox WHERE instance_id = ?');

    this.insertTask = db.prepare('INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, data) VALUES (?, ?, ?, ?, ?, ?)');
    // Task claims: untaken visible tasks in id order (tasks_untaken), plus tasks whose lease
    // expired (tasks_by_lock); the caller merges both by id.
    this.untakenTaskIds = db.prepare('SELECT id FROM tasks WHERE locked_by IS NULL AND visible_at <= @now ORDER BY id LIMIT @limit');
    // Ordered by expiry, not id, so that the planner walks tasks_by_lock instead of the whole table.
    this.expiredTaskIds = db.prepare('SELECT id FROM tasks WHERE lock_expires_at <= @now AND visible_at <= @now ORDER BY lock_expires_at LIMIT @limit');
    this.lockTask = db.prepare(
      `UPDATE tasks SET locked_by = @lease, lock_expires_at = @expires, dequeue_count = dequeue_count + 1 WHERE id = @id
       RETURNING id, instance_id, execution_id, task_id, name, visible_at, dequeue_count, locked_by, data`,
    );
    this.anyClaimableTask = db.prepare(
      `SELECT EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_untaken WHERE locked_by IS NULL AND visible_at <= @now)
           OR EXISTS (SELECT 1 FROM tasks WHERE lock_expires_at <= @now AND visible_at <= @now) AS found`,
    );
    this.deleteLockedTask = db.prepare('DELETE FROM tasks WHERE id = ? AND locked_by = ?');
    this.unlockTask = db.prepare(
      'UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, visible_at = COALESCE(?, visible_at) WHERE id = ? AND locked_by = ?',
    );
    this.renewTaskLock = db.prepare('UPDATE tasks SET lock_expires_at = ? WHERE id = ? AND locked_by = ?');
    this.deleteTasks = db.prepare('DELETE FROM tasks WHERE instance_id = ?');

    // Each arm is an index range scan (inbox_untaken, tasks_by_visible, instances_by_lock, tasks_by_lock).
    // A message visible after `now` is never taken (claims take visible messages only).
    this.nextWake = db.prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(visible_at) AS t FROM inbox WHERE locked_by IS NULL AND visible_at > @now
         UNION ALL SELECT MIN(visible_at) FROM tasks WHERE visible_at > @now
         UNION ALL SELECT MIN(lock_expires_at) FROM instances WHERE lock_expires_at > @now
         UNION ALL SELECT MIN(lock_expires_at) FROM tasks WHERE lock_expires_at > @now)`,
    );
  }

  /**
   * An instance's visible messages in id order, at most `limit` (a claim's maxMessagesPerInstance).
   * The limit is written into the SQL, one prepared statement per distinct value (in practice one):
   * with `LIMIT ?` SQLite spent ~3× longer on this query, which runs on every claim.
   */
  visibleMessages(limit: number): Database.Statement {
    // A negative LIMIT is no limit in SQLite (for a non-finite request).
    const n = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1;
    return this.cached(`SELECT id, instance_id, visible_at, dequeue_count, data FROM inbox WHERE instance_id = @id AND visible_at <= @now ORDER BY id LIMIT ${n}`);
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
