/**
 * @module test/conformance/stub-services
 * The services a conformance case calls, answered from the case file: one loopback HTTP server for
 * every case's REST operations (each case under its own path prefix, described by a generated
 * OpenAPI 3 document), and an in-test ComponentHost for custom `invoke:`/`binding:`/`publish:`
 * operations. Both record every call, in arrival order, so cases can assert the call sequence.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileExpression, WorkflowError } from '../../src/index.js';
import type { CannedResponse, ConformanceCase, RestOperation } from './case-format.js';

/** A call a stub received. */
export interface RecordedCall {
  op: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  data?: unknown;
  verb?: string;
  metadata?: Record<string, string>;
  event?: Record<string, unknown>;
}

/** CloudEvent in JSON form, as the component host publishes it. */
type CloudEventJson = Record<string, unknown>;

/** Per-case call log and answer cursors. */
export class CaseServices {
  readonly calls: RecordedCall[] = [];
  /** Calls of this case being answered right now (visible to `jq` answers as `.inflight`). */
  inflight = 0;
  private readonly cursor = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly c: ConformanceCase) {}

  /** Records a call and returns the canned answer for it (the last answer repeats). */
  record(call: RecordedCall, answers: CannedResponse[] | undefined): CannedResponse | undefined {
    this.calls.push(call);
    for (const l of [...this.listeners]) l();
    if (!answers || answers.length === 0) return undefined;
    const i = this.cursor.get(call.op) ?? 0;
    this.cursor.set(call.op, i + 1);
    return answers[Math.min(i, answers.length - 1)];
  }

  /** Resolves once at least `n` calls were recorded. */
  async callsReached(n: number, signal: AbortSignal): Promise<void> {
    while (this.calls.length < n && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const l = (): void => {
          this.listeners.delete(l);
          resolve();
        };
        this.listeners.add(l);
        signal.addEventListener('abort', l, { once: true });
      });
    }
  }
}

/** Replaces `{{stub}}` in a string, or in every string of a JSON value, by the case's stub base URL. */
export function withStubUrl(value: unknown, url: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{{stub}}', url);
  return JSON.parse(JSON.stringify(value).replaceAll('{{stub}}', url)) as unknown;
}

/** Computes the body of a canned answer: `jq` over the request, else `body`, else the request echoed. */
function answerBody(answer: CannedResponse | undefined, request: unknown, echo: unknown): unknown {
  if (answer?.jq !== undefined) return compileExpression(answer.jq).evaluate(request);
  if (answer && 'body' in answer) return answer.body;
  return echo;
}

/** The loopback HTTP server shared by every case. */
export class StubServer {
  private server: Server | undefined;
  private port = 0;
  private readonly cases = new Map<string, { services: CaseServices; ops: RestOperation[]; files: Record<string, unknown> }>();

  /** Base URL of a case's stubs: `{{stub}}` in a case's definitions is replaced by it. */
  baseUrl(prefix: string): string {
    return `http://127.0.0.1:${this.port}/${prefix}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /**
   * Serves the case's REST operations under `/<prefix>`, and its files and generated OpenAPI documents
   * under `/<prefix>/files/<name>` (for definitions that refer to them by http URI). Returns the OpenAPI
   * documents to write next to the workflow, by file name.
   */
  mount(prefix: string, services: CaseServices): Record<string, unknown> {
    const docs: Record<string, unknown> = {};
    const ops: RestOperation[] = [];
    for (const svc of services.c.rest) {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const op of svc.operations) {
        ops.push(op);
        const parameters = [
          ...[...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
          ...(op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          ...(op.headers ?? []).map((name) => ({ name, in: 'header', required: false, schema: { type: 'string' } })),
        ];
        const method = op.method.toLowerCase();
        const operation: Record<string, unknown> = { operationId: op.operationId, parameters, responses: { '200': { description: 'ok' } } };
        if (['post', 'put', 'patch'].includes(method)) {
          operation.requestBody = { content: { 'application/json': { schema: { type: 'object' } } } };
        }
        (paths[op.path] ??= {})[method] = operation;
      }
      docs[svc.doc] = {
        openapi: '3.0.3',
        info: { title: `${services.c.name} ${svc.doc}`, version: '1.0.0' },
        servers: [{ url: `http://127.0.0.1:${this.port}/${prefix}` }],
        paths,
      };
    }
    const files: Record<string, unknown> = {};
    for (const [name, content] of Object.entries(services.c.files)) files[name] = withStubUrl(content, this.baseUrl(prefix));
    this.cases.set(prefix, { services, ops, files: { ...files, ...docs } });
    return docs;
  }

  unmount(prefix: string): void {
    this.cases.delete(prefix);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, prefix, ...rest] = url.pathname.split('/');
    const mounted = this.cases.get(decodeURIComponent(prefix ?? ''));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!mounted) return reply(res, 404, { error: `no case mounted at /${prefix}` });
    const path = `/${rest.join('/')}`;
    if (req.method === 'GET' && rest[0] === 'files' && rest.length === 2) {
      const content = mounted.files[decodeURIComponent(rest[1]!)];
      if (content === undefined) return reply(res, 404, { error: `no file ${rest[1]}` });
      res.writeHead(200, { 'content-type': typeof content === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof content === 'string' ? content : JSON.stringify(content));
      return;
    }
    for (const op of mounted.ops) {
      if (op.method.toUpperCase() !== req.method) continue;
      const params = matchPath(op.path, path);
      if (!params) continue;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const headers: Record<string, string> = {};
      for (const h of op.headers ?? []) {
        const v = req.headers[h.toLowerCase()];
        if (typeof v === 'string') headers[h] = v;
      }
      let body: unknown;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const call: RecordedCall = { op: op.operationId };
      if (Object.keys(params).length > 0) call.params = params;
      if (Object.keys(query).length > 0) call.query = query;
      if (Object.keys(headers).length > 0) call.headers = headers;
      if (body !== undefined) call.body = body;
      const answer = mounted.services.record(call, op.responses);
      const request = { params, query, headers, body: body ?? null, inflight: ++mounted.services.inflight };
      try {
        const ms = delayOf(answer, request);
        if (ms > 0) await sleep(ms);
      } finally {
        mounted.services.inflight--;
      }
      return reply(res, answer?.status ?? 200, answerBody(answer, request, body ?? {}));
    }
    return reply(res, 404, { error: `no stub operation for ${req.method} ${path}` });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? null));
}

/** Matches `/pets/{id}` against `/pets/7` → `{ id: '7' }`; undefined when it does not match. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(.+)\}$/.exec(t[i]!);
    if (m) params[m[1]!] = decodeURIComponent(p[i]!);
    else if (t[i] !== p[i]) return undefined;
  }
  return params;
}

function delayOf(answer: CannedResponse | undefined, request: unknown): number {
  if (answer?.delayJq !== undefined) return Number(compileExpression(answer.delayJq).evaluate(request)) || 0;
  return answer?.delayMs ?? 0;
}

async function delayed(answer: CannedResponse | undefined, request: unknown, signal: AbortSignal | undefined): Promise<void> {
  const ms = delayOf(answer, request);
  if (ms > 0) await sleep(ms, undefined, signal ? { signal } : undefined);
}

function raise(op: string, answer: CannedResponse | undefined, body: unknown): void {
  const status = answer?.status ?? 200;
  if (status >= 400) {
    throw new WorkflowError(String(status), `${op} answered ${status}: ${JSON.stringify(body)}`, { details: body });
  }
}

/**
 * The in-test ComponentHost (shape of src/components/types.ts): custom operations answer from the
 * case's `services.custom`; an error status becomes a WorkflowError whose code is the status, like
 * the real host.
 */
export function caseComponentHost(services: CaseServices): Record<string, unknown> {
  const custom = services.c.custom;
  return {
    async invokeService(req: { appId: string; method: string; verb?: string; data?: unknown; headers?: Record<string, string>; signal?: AbortSignal }) {
      const op = `invoke:${req.appId}/${req.method}`;
      const call: RecordedCall = { op };
      if (req.data !== undefined) call.data = req.data;
      if (req.verb !== undefined) call.verb = req.verb;
      const answer = services.record(call, custom[op]);
      const request = { data: req.data ?? null, verb: req.verb ?? null, inflight: ++services.inflight };
      try {
        await delayed(answer, request, req.signal);
      } finally {
        services.inflight--;
      }
      const body = answerBody(answer, request, req.data ?? null);
      raise(op, answer, body);
      return { status: answer?.status ?? 200, data: body, headers: { 'content-type': 'application/json' } };
    },
    async invokeBinding(req: { name: string; operation: string; data?: unknown; metadata?: Record<string, string>; signal?: AbortSignal }) {
      const op = `binding:${req.name}/${req.operation}`;
      const call: RecordedCall = { op };
      if (req.data !== undefined) call.data = req.data;
      if (req.metadata && Object.keys(req.metadata).length > 0) call.metadata = req.metadata;
      const answer = services.record(call, custom[op]);
      const request = { data: req.data ?? null, metadata: req.metadata ?? {} };
      await delayed(answer, request, req.signal);
      const body = answerBody(answer, request, req.data ?? null);
      raise(op, answer, body);
      return { data: body, metadata: {} };
    },
    async publish(req: { pubsub: string; topic: string; event: CloudEventJson; signal?: AbortSignal }) {
      const op = `publish:${req.pubsub}/${req.topic}`;
      const answer = services.record({ op, event: req.event, data: req.event.data }, custom[op]);
      await delayed(answer, { event: req.event }, req.signal);
      raise(op, answer, null);
    },
    async subscribe() {
      return { close: async () => {}, unsubscribe: async () => {} };
    },
    async getSecret(name: string) {
      return services.c.secrets[name];
    },
    async close() {},
  };
}
