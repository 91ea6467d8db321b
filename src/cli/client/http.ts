/**
 * @module cli/client/http
 * The HTTP side of the client commands, over undici: JSON in, JSON out, the API token header,
 * and every failure turned into a {@link ClientError} with its exit code — a server that cannot
 * be reached, a timeout, or an error answer (`{"errorCode","message"}`, the shape of every Swirl
 * and Dapr route).
 */
import { ExitCode } from '../exit.js';
import { ClientError, exitCodeOfStatus } from './client-error.js';
import type { Connection } from './connection.js';

/** How long one request may take before the command gives up (the server answers in ms). */
const REQUEST_TIMEOUT_MS = 30_000;

/** A request body: JSON (serialized here) or text sent as it is (a definition file). */
export type Body = { json: unknown } | { text: string; contentType: string };

/** A successful answer. */
export interface Answer {
  status: number;
  body: unknown;
}

/** Talks to one Swirl server. */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  /** GET `path` (with its query string); resolves to the parsed JSON body. */
  async get(path: string, signal?: AbortSignal): Promise<unknown> {
    return (await this.send('GET', path, undefined, [], signal)).body;
  }

  /** POST `path`; resolves to the status and parsed JSON body (undefined when empty). */
  async post(path: string, body?: Body): Promise<Answer> {
    return this.send('POST', path, body);
  }

  /**
   * Sends one request. Errors are expected answers too: `allow` lists statuses the caller reads
   * itself (register answers 400 with diagnostics), every other status >= 400 throws.
   */
  async send(method: 'GET' | 'POST', path: string, body?: Body, allow: readonly number[] = [], signal?: AbortSignal): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.connection.token !== undefined) headers['dapr-api-token'] = this.connection.token;
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json ?? null);
    } else if (body) {
      headers['content-type'] = body.contentType;
      payload = body.text;
    }
    const target = this.connection.url + path;
    let res;
    try {
      // undici loads with the first request, not with every CLI command (issue 12).
      const { request } = await import('undici');
      res = await request(target, { method, headers, body: payload, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    } catch (err) {
      // The caller gave up (Ctrl-C): its own reason, not an unreachable server.
      if (signal?.aborted) throw signal.reason;
      throw unreachable(this.connection.url, err);
    }
    const text = await res.body.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (res.statusCode >= 400 && !allow.includes(res.statusCode)) throw errorAnswer(res.statusCode, parsed);
    return { status: res.statusCode, body: parsed };
  }
}

function errorAnswer(status: number, body: unknown): ClientError {
  const obj = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const message = typeof obj?.message === 'string' ? obj.message : typeof body === 'string' && body !== '' ? body : `the server answered HTTP ${status}`;
  const errorCode = typeof obj?.errorCode === 'string' ? obj.errorCode : undefined;
  return new ClientError(errorCode ? `${message} (${errorCode}, HTTP ${status})` : `${message} (HTTP ${status})`, exitCodeOfStatus(status), errorCode, obj);
}

/** No answer at all: say where the command looked and how to point it elsewhere. */
function unreachable(url: string, err: unknown): ClientError {
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  const code = e.code ?? e.cause?.code;
  const why = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (code ?? e.message ?? String(err));
  return new ClientError(`cannot reach the Swirl server at ${url} (${why}); is \`swirl serve\` running there? Point to it with --url or SWIRL_URL`, ExitCode.Unavailable);
}
