/**
 * @module components/bindings/http
 * `bindings.http` output binding (Dapr semantics): metadata `url` is the base; the operation is the
 * HTTP verb (`create` = POST); request metadata `path` is appended to the URL and every other request
 * metadata entry becomes a header. The response metadata carries `statusCode`, `status` and the
 * response headers. With `errorIfNot2XX` (default true) a status ≥ 400 fails the call.
 */
import { createHttpAgent, httpCall } from '../invoke/http-call.js';
import type { ComponentMetadata } from '../metadata.js';
import { requestError } from '../failures.js';
import type { OutputBinding } from '../types.js';
import { STATUS_CODES } from 'node:http';

const VERBS: Record<string, string> = {
  create: 'POST', get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE', options: 'OPTIONS', trace: 'TRACE',
};

/** Creates the binding. No connection is made at start: an HTTP endpoint may legitimately be down. */
export function createHttpBinding(md: ComponentMetadata, opts: { timeoutMs: number; connectTimeoutMs: number }): OutputBinding {
  const base = md.required('url');
  try {
    new URL(base);
  } catch {
    throw md.error('url', `not a URL: '${base}'`);
  }
  const errorIfNot2XX = md.bool('errorIfNot2XX', true);
  const securityToken = md.string('securityToken');
  const securityTokenHeader = md.string('securityTokenHeader');
  const timeoutMs = md.durationMs('responseTimeout', opts.timeoutMs);
  const agent = createHttpAgent(opts.connectTimeoutMs);
  return {
    operations: Object.keys(VERBS),
    async invoke(call) {
      const method = VERBS[call.operation];
      if (!method) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.http '${md.manifest.name}' has no operation '${call.operation}' (supported: ${Object.keys(VERBS).join(', ')})`);
      const { path, ...headerMeta } = call.metadata;
      const url = path ? `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}` : base;
      const headers: Record<string, string> = { ...headerMeta };
      if (securityToken && securityTokenHeader) headers[securityTokenHeader] = securityToken;
      if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
      if (call.traceparent !== undefined) headers.traceparent = call.traceparent;
      const ans = await httpCall(agent, {
        url, method, headers, data: call.data, signal: call.signal, timeoutMs,
        what: `binding ${md.manifest.name}/${call.operation}`,
        throwOnErrorStatus: errorIfNot2XX,
      });
      const metadata: Record<string, string> = { ...ans.headers, statusCode: String(ans.status), status: `${ans.status} ${STATUS_CODES[ans.status] ?? ''}`.trim() };
      return { data: ans.data, metadata };
    },
    async close() {
      await agent.close();
    },
  };
}
