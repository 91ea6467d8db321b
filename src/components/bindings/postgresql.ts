/**
 * @module components/bindings/postgresql
 * `bindings.postgresql` output binding (Dapr semantics). Metadata `connectionString` (Dapr's older
 * name `url` is accepted) in URL or key=value form. Operations:
 * - `exec` — request metadata `sql` and optional `params` (a JSON array bound to $1, $2 …);
 *   response metadata `rows-affected`;
 * - `query` — same request; `data` is an array of rows, each an array of column values (Dapr's shape);
 * - `close` — ends the pool. Unlike Dapr, the next exec/query opens a new one instead of failing.
 * Every response carries `operation`, `sql`, `start-time`, `end-time` and `duration` metadata.
 * A statement the database rejects is a WorkflowError coded by its SQLSTATE ("23505"); a lost
 * connection is an InfrastructureError.
 */
import pg from 'pg';
import { ComponentErrorCode, describeCause, networkError, requestError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import type { OutputBinding } from '../types.js';
import { WorkflowError } from '../../errors.js';

const OPERATIONS = ['exec', 'query', 'close'] as const;

/** Connects (one probe query) and returns the binding. */
export async function createPostgresBinding(md: ComponentMetadata, opts: { connectTimeoutMs: number }): Promise<OutputBinding> {
  const field = md.string('connectionString') !== undefined ? 'connectionString' : 'url';
  const connectionString = md.required('connectionString', 'url');
  const connectTimeoutMs = md.durationMs('timeout', opts.connectTimeoutMs);
  const name = md.manifest.name;
  const newPool = () => {
    const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: connectTimeoutMs, max: md.int('maxConns', 10) });
    pool.on('error', () => {}); // idle client errors surface on the next query instead
    return pool;
  };
  let pool = newPool();
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw md.error(field, `cannot connect to PostgreSQL: ${describeCause(err)}`, ComponentErrorCode.Unreachable, err);
  }
  let closed = false;

  return {
    operations: OPERATIONS,
    async invoke(call) {
      if (call.operation === 'close') {
        if (!closed) {
          closed = true;
          await pool.end();
        }
        return { data: null, metadata: { operation: 'close' } };
      }
      if (call.operation !== 'exec' && call.operation !== 'query') {
        throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.postgresql '${name}' has no operation '${call.operation}' (supported: ${OPERATIONS.join(', ')})`);
      }
      const sql = call.metadata.sql;
      if (!sql) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.postgresql '${name}': request metadata 'sql' is required`);
      let params: unknown[] = [];
      if (call.metadata.params) {
        try {
          params = JSON.parse(call.metadata.params);
        } catch {
          params = undefined as never;
        }
        if (!Array.isArray(params)) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.postgresql '${name}': metadata 'params' must be a JSON array, found '${call.metadata.params}'`);
      }
      if (closed) {
        pool = newPool();
        closed = false;
      }
      const start = new Date();
      const t0 = process.hrtime.bigint();
      let result: { rows: unknown[]; rowCount: number | null };
      try {
        // rowMode 'array': rows as value arrays, Dapr's query shape.
        result = call.operation === 'query' ? await pool.query({ text: sql, values: params, rowMode: 'array' }) : await pool.query(sql, params);
      } catch (err) {
        throw classify(err, `binding ${name}/${call.operation}`);
      }
      const end = new Date();
      const metadata: Record<string, string> = {
        operation: call.operation,
        sql,
        'start-time': start.toISOString(),
        'end-time': end.toISOString(),
        duration: formatDuration(process.hrtime.bigint() - t0),
      };
      if (call.operation === 'exec') {
        metadata['rows-affected'] = String(result.rowCount ?? 0);
        return { data: null, metadata };
      }
      // JSON round trip: Dates become ISO strings and Buffers plain objects, as on Dapr's wire.
      return { data: JSON.parse(JSON.stringify(result.rows)) as unknown, metadata };
    },
    async close() {
      if (!closed) {
        closed = true;
        await pool.end();
      }
    },
  };
}

/** SQLSTATE class 08 (connection), 53 (resources), 57 (operator intervention) are infrastructure. */
function classify(err: unknown, what: string): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code)) {
    return new WorkflowError(code, `${what}: ${(err as Error).message}`, { nonRetryable: !code.startsWith('40'), details: { sqlstate: code }, cause: err });
  }
  return networkError(what, err);
}

/** Go-like duration text ("1.234ms") as Dapr reports it. */
function formatDuration(ns: bigint): string {
  const n = Number(ns);
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(3)}µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(3)}ms`;
  return `${(n / 1e9).toFixed(3)}s`;
}
