/**
 * @module store/sqlite-inspection
 * The SQLite store's definitions table and its inspection reads (pendingWork, queuedWork), with
 * their statements. queuedWork visits each distinct name once through the (name, ready_at)
 * indexes (a loose index scan written as a recursive CTE) and counts only ready rows, so its
 * cost is bounded by the names and the ready work, not by timers or leased instances.
 */

import type Database from 'better-sqlite3';
import { toDefinitionRecord, type DefinitionRow } from './sqlite-rows.js';
import type { DefinitionRecord, PendingWork, QueuedWorkCount } from './types.js';

/**
 * Ready rows per name of `table`: the next name after the previous one is one seek in the
 * partial (name, ready_at) index (ready_at IS NOT NULL), and each name's count a range scan.
 */
function readyByName(table: 'instances' | 'tasks'): string {
  return `WITH RECURSIVE names(name) AS (
      SELECT (SELECT MIN(name) FROM ${table} WHERE ready_at IS NOT NULL)
      UNION ALL
      SELECT (SELECT MIN(t.name) FROM ${table} t WHERE t.ready_at IS NOT NULL AND t.name > names.name) FROM names WHERE names.name IS NOT NULL)
    SELECT name, (SELECT COUNT(*) FROM ${table} r WHERE r.name = names.name AND r.ready_at <= @now) AS ready,
                 (SELECT MIN(r.ready_at) FROM ${table} r WHERE r.name = names.name AND r.ready_at <= @now) AS oldest
    FROM names WHERE name IS NOT NULL`;
}

/** Definitions and inspection reads over one connection. */
export class SqliteInspection {
  readonly putDefinition: Database.Statement;
  readonly getDefinition: Database.Statement;
  readonly listDefinitions: Database.Statement;
  readonly listDefinitionsOf: Database.Statement;
  readonly deleteUnusedDefinition: Database.Statement;
  readonly inboxSummary: Database.Statement;
  readonly instanceTasks: Database.Statement;
  readonly readyInstancesByName: Database.Statement;
  readonly readyTasksByName: Database.Statement;

  constructor(db: Database.Database) {
    this.putDefinition = db.prepare(
      `INSERT INTO definitions (hash, id, version, text, source, registered_at) VALUES (@hash, @id, @version, @text, @source, @registeredAt)
       ON CONFLICT (hash) DO UPDATE SET registered_at = MAX(registered_at, excluded.registered_at)`,
    );
    const columns = 'hash, id, version, text, source, registered_at';
    this.getDefinition = db.prepare(`SELECT ${columns} FROM definitions WHERE hash = ?`);
    this.listDefinitions = db.prepare(`SELECT ${columns} FROM definitions ORDER BY registered_at, rowid`);
    this.listDefinitionsOf = db.prepare(`SELECT ${columns} FROM definitions WHERE id = ? ORDER BY registered_at, rowid`);
    // instances_by_definition finds the users of a hash; terminal ones do not keep it.
    this.deleteUnusedDefinition = db.prepare(
      `DELETE FROM definitions WHERE hash = @hash AND (@before IS NULL OR registered_at < @before) AND NOT EXISTS (
         SELECT 1 FROM instances WHERE definition_hash = @hash AND status NOT IN ('COMPLETED', 'FAILED', 'TERMINATED'))`,
    );
    this.inboxSummary = db.prepare(
      'SELECT COUNT(*) AS n, MIN(CASE WHEN visible_at > @now THEN visible_at END) AS next FROM inbox WHERE instance_id = @id',
    );
    this.instanceTasks = db.prepare('SELECT task_id, name, visible_at, locked_by, lock_expires_at, dequeue_count FROM tasks WHERE instance_id = ? ORDER BY id');
    this.readyInstancesByName = db.prepare(readyByName('instances'));
    this.readyTasksByName = db.prepare(readyByName('tasks'));
  }

  put(d: DefinitionRecord): void {
    this.putDefinition.run({ hash: d.hash, id: d.id, version: d.version ?? null, text: d.text, source: d.source, registeredAt: d.registeredAt });
  }

  get(hash: string): DefinitionRecord | undefined {
    const row = this.getDefinition.get(hash) as DefinitionRow | undefined;
    return row === undefined ? undefined : toDefinitionRecord(row);
  }

  list(id?: string): DefinitionRecord[] {
    const rows = (id === undefined ? this.listDefinitions.all() : this.listDefinitionsOf.all(id)) as DefinitionRow[];
    return rows.map(toDefinitionRecord);
  }

  deleteUnused(hashes: readonly string[], registeredBefore?: number): string[] {
    const before = registeredBefore ?? null;
    return [...new Set(hashes)].filter((hash) => this.deleteUnusedDefinition.run({ hash, before }).changes > 0);
  }

  pendingWork(instanceId: string, now: number): PendingWork {
    const inbox = this.inboxSummary.get({ id: instanceId, now }) as { n: number; next: number | null };
    const rows = this.instanceTasks.all(instanceId) as Array<{
      task_id: number;
      name: string;
      visible_at: number;
      locked_by: string | null;
      lock_expires_at: number | null;
      dequeue_count: number;
    }>;
    const work: PendingWork = {
      inboxMessages: inbox.n,
      tasks: rows.map((t) => ({
        taskId: t.task_id,
        name: t.name,
        visibleAt: t.visible_at,
        leased: t.locked_by !== null && (t.lock_expires_at ?? 0) > now,
        dequeueCount: t.dequeue_count,
      })),
    };
    if (inbox.next !== null) work.nextMessageAt = inbox.next;
    return work;
  }

  queuedWork(now: number): QueuedWorkCount[] {
    const out: QueuedWorkCount[] = [];
    const collect = (kind: QueuedWorkCount['kind'], statement: Database.Statement): void => {
      for (const row of statement.all({ now }) as Array<{ name: string; ready: number; oldest: number | null }>) {
        if (row.ready > 0 && row.oldest !== null) out.push({ kind, name: row.name, ready: row.ready, oldestVisibleAt: row.oldest });
      }
    };
    collect('orchestration', this.readyInstancesByName);
    collect('activity', this.readyTasksByName);
    return out;
  }
}
