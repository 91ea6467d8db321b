/**
 * @module test/engine/stuck-report
 * What a test prints when an instance does not reach the status it waits for: for each stuck
 * instance and its parent, the history (event types, and the terminate events in full), the
 * status record, and on PostgreSQL the raw rows the claim reads — the instance row's lease and
 * claim columns, its inbox rows and its task rows — so a one-in-many failure can be read from
 * the one failed run.
 */

import pg from 'pg';
import type { Engine } from '../../src/engine/engine.js';

/** A multi-line report on `ids` (and their parents) in the store of `engine` at `url`. */
export async function stuckReport(engine: Engine, url: string, ids: readonly string[]): Promise<string> {
  const lines: string[] = [];
  const seen = new Set<string>();
  const queue = [...ids];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (seen.has(id)) continue;
    seen.add(id);
    const rec = await engine.client.get(id);
    lines.push(`== ${id}: ${JSON.stringify(rec === undefined ? null : { status: rec.runtimeStatus, parent: rec.parentInstanceId, failure: rec.failure })}`);
    const history = await engine.client.history(id).catch((e: Error) => [{ error: e.message }]);
    lines.push(`history: ${JSON.stringify(history.map((e) => ('type' in e && e.type !== 'ExecutionTerminated' ? `${e.type}#${e.eventId}` : e)))}`);
    if (url.startsWith('postgres')) lines.push(...(await pgRows(url, id)));
    if (ids.includes(id) && rec?.parentInstanceId !== undefined) queue.push(rec.parentInstanceId);
  }
  return lines.join('\n');
}

/** The PostgreSQL rows of one instance: the instance row (without payloads), inbox, tasks. */
async function pgRows(url: string, id: string): Promise<string[]> {
  const schema = new URL(url).searchParams.get('schema') ?? 'public';
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    const inst = await client.query('SELECT * FROM instances WHERE instance_id = $1', [id]);
    const row = inst.rows[0] as Record<string, unknown> | undefined;
    if (row !== undefined) for (const k of ['input', 'output', 'custom_status']) delete row[k];
    const now = await client.query('SELECT now() AS db_now');
    const inbox = await client.query('SELECT * FROM inbox WHERE instance_id = $1 ORDER BY id', [id]);
    const tasks = await client.query('SELECT * FROM tasks WHERE instance_id = $1 ORDER BY id', [id]);
    return [`db now: ${JSON.stringify(now.rows[0])}`, `instance row: ${JSON.stringify(row)}`, `inbox: ${JSON.stringify(inbox.rows)}`, `tasks: ${JSON.stringify(tasks.rows)}`];
  } finally {
    await client.end();
  }
}
