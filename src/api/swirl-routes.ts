/**
 * @module api/swirl-routes
 * Swirl's own API under `/api/v1` (specs/http-api.openapi.yaml): instances (list with filters and
 * pages, one instance — `?wait=` until it finishes —, history, bulk purge), workflow definitions (list, get, register, validate
 * with the same diagnostics as `swirl validate`) and CloudEvents ingress.
 */
import type { ValidationResult } from '../definition/validate.js';
import type { InstanceMetadata } from '../engine/client.js';
import { RuntimeStatus } from '../store/index.js';
import type { SwirlHost } from '../host/host.js';
import { instanceState } from '../host/instance-view.js';
import { postEvents } from './events-route.js';
import { registerTimelineRoutes } from './timeline-routes.js';
import { HttpError, json } from './http-error.js';
import { parseWait, type InstanceWaits } from './instance-wait.js';
import { assertJsonDepth } from './json-depth.js';
import type { Router } from './router.js';

const MAX_PAGE_SIZE = 1000;

function parseStatuses(values: string[]): RuntimeStatus[] | undefined {
  const all = values.flatMap((v) => v.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (all.length === 0) return undefined;
  const known = Object.values(RuntimeStatus) as string[];
  for (const s of all) if (!known.includes(s)) throw new HttpError(400, 'ERR_BAD_REQUEST', `unknown status '${s}' (one of ${known.join(', ')})`);
  return all as RuntimeStatus[];
}

function parseTime(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new HttpError(400, 'ERR_BAD_REQUEST', `${name} '${value}' is not an RFC 3339 date-time`);
  return t;
}

function parsePageSize(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new HttpError(400, 'ERR_BAD_REQUEST', `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, not '${value}'`);
  return n;
}

/** `idPrefix`: characters of an instance id, at most as long as one (engine/validation.ts). */
function parseIdPrefix(value: string | null): string | undefined {
  if (value === null || value === '') return undefined;
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(value)) {
    throw new HttpError(400, 'ERR_BAD_REQUEST', `idPrefix '${value.length > 60 ? `${value.slice(0, 60)}…` : value}' is not the start of an instance id (1-200 characters from A-Z a-z 0-9 _ - . :)`);
  }
  return value;
}

function parseOrder(value: string | null): 'asc' | 'desc' | undefined {
  if (value === null || value === '') return undefined;
  if (value !== 'asc' && value !== 'desc') throw new HttpError(400, 'ERR_BAD_REQUEST', `order must be 'asc' or 'desc', not '${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`);
  return value;
}

/** The filter shared by list and bulk purge. */
interface Filter {
  name?: string;
  statuses?: RuntimeStatus[];
  createdFrom?: number;
  createdTo?: number;
}

function filterFrom(get: (k: string) => string | null, getAll: (k: string) => string[]): Filter {
  const f: Filter = {};
  const workflow = get('workflow');
  if (workflow) f.name = workflow;
  const statuses = parseStatuses(getAll('status'));
  if (statuses) f.statuses = statuses;
  const from = parseTime('createdFrom', get('createdFrom'));
  if (from !== undefined) f.createdFrom = from;
  const to = parseTime('createdTo', get('createdTo'));
  if (to !== undefined) f.createdTo = to;
  return f;
}

const summary = (m: InstanceMetadata) => ({
  instanceID: m.instanceId,
  workflowName: m.name,
  runtimeStatus: m.runtimeStatus,
  createdAt: m.createdAt.toISOString(),
  lastUpdatedAt: m.lastUpdatedAt.toISOString(),
});

function detail(m: InstanceMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = { ...summary(m) };
  if (m.completedAt) out.completedAt = m.completedAt.toISOString();
  if (m.scheduledStartAt) out.scheduledStartAt = m.scheduledStartAt.toISOString();
  if (m.parentInstanceId !== undefined) out.parentInstanceID = m.parentInstanceId;
  // The definition version this instance runs (specs/engine.md "Definition versions").
  if (m.definitionHash !== undefined) out.definitionHash = m.definitionHash;
  if (m.definitionVersion !== undefined) out.definitionVersion = m.definitionVersion;
  if (m.input !== undefined) out.input = m.input;
  if (m.output !== undefined) out.output = m.output;
  if (m.customStatus !== undefined) out.customStatus = m.customStatus;
  if (m.failure) out.failure = m.failure;
  if (m.waitingFor !== undefined) out.waitingFor = m.waitingFor;
  if (m.unserved) out.unserved = m.unserved;
  return out;
}

const diagnosticsBody = (r: ValidationResult) => ({ valid: r.valid, diagnostics: r.diagnostics });

/**
 * A document the parser refused by its limits (an alias bomb, nesting, size: DOCUMENT_LIMIT) is a
 * 400 ERR_DOCUMENT_LIMIT on register and on validate alike: the request was refused, not judged
 * (specs/limits.md). The diagnostics still say where.
 */
function documentLimitAnswer(r: ValidationResult): Response | undefined {
  const d = r.diagnostics.find((x) => x.code === 'DOCUMENT_LIMIT');
  if (d === undefined) return undefined;
  return json(400, { errorCode: 'ERR_DOCUMENT_LIMIT', message: `the definition document is refused: ${d.message}`, ...diagnosticsBody(r) });
}

/** A JSON object body (empty: `{}`); anything else is 400 ERR_MALFORMED_REQUEST. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (text.trim() === '') return {};
  assertJsonDepth(text, 'the request body');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'ERR_MALFORMED_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'ERR_MALFORMED_REQUEST', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The keys a bulk purge body may have (anything else is a typo that must not widen the purge). */
const PURGE_KEYS: readonly string[] = ['workflow', 'status', 'createdFrom', 'createdTo', 'recursive', 'all'];
/** The query parameters of GET /api/v1/instances. */
const LIST_KEYS: readonly string[] = ['workflow', 'status', 'createdFrom', 'createdTo', 'idPrefix', 'order', 'pageSize', 'pageToken'];

/**
 * The filter of a bulk purge body. Unknown keys are refused (a typo such as `worklfow` would
 * otherwise purge every finished instance), values must have their documented types, and a
 * filter that selects everything needs an explicit `all: true` (specs/http-api.openapi.yaml).
 */
function purgeRequestOf(body: Record<string, unknown>): { filter: Filter; recursive: boolean } {
  for (const k of Object.keys(body)) {
    if (!PURGE_KEYS.includes(k)) throw new HttpError(400, 'ERR_BAD_REQUEST', `unknown purge filter key '${k}' (allowed: ${PURGE_KEYS.join(', ')})`);
  }
  const text = (k: string): string | null => {
    const v = body[k];
    if (v === undefined) return null;
    if (typeof v !== 'string') throw new HttpError(400, 'ERR_BAD_REQUEST', `purge filter '${k}' must be a string`);
    return v;
  };
  const flag = (k: string): boolean | undefined => {
    const v = body[k];
    if (v !== undefined && typeof v !== 'boolean') throw new HttpError(400, 'ERR_BAD_REQUEST', `purge '${k}' must be true or false`);
    return v;
  };
  const status = body.status;
  let statuses: string[];
  if (status === undefined) statuses = [];
  else if (typeof status === 'string') statuses = [status];
  else if (Array.isArray(status) && status.every((s) => typeof s === 'string')) statuses = status as string[];
  else throw new HttpError(400, 'ERR_BAD_REQUEST', "purge filter 'status' must be a status or an array of statuses");
  const filter = filterFrom(text, () => statuses);
  const all = flag('all') === true;
  const selective = filter.name !== undefined || filter.statuses !== undefined || filter.createdFrom !== undefined || filter.createdTo !== undefined;
  if (!selective && !all) throw new HttpError(400, 'ERR_PURGE_FILTER_EMPTY', 'the purge filter is empty: name a workflow, status, createdFrom or createdTo, or send "all": true to purge every finished instance');
  if (selective && all) throw new HttpError(400, 'ERR_BAD_REQUEST', '"all": true cannot be combined with a filter (drop it to purge what the filter selects)');
  return { filter, recursive: flag('recursive') !== false };
}

/** Registers `/api/v1/*`. */
export function registerSwirlRoutes(router: Router, host: SwirlHost, waits: InstanceWaits): void {
  const client = host.client;

  router.on('GET', '/api/v1/instances', async (_req, _p, url) => {
    const q = url.searchParams;
    // A misspelt filter (workflowName=…) must not silently list everything.
    for (const k of q.keys()) {
      if (!LIST_KEYS.includes(k)) throw new HttpError(400, 'ERR_BAD_REQUEST', `unknown query parameter '${k.length > 60 ? `${k.slice(0, 60)}…` : k}' (allowed: ${LIST_KEYS.join(', ')})`);
    }
    const filter = filterFrom((k) => q.get(k), (k) => q.getAll(k));
    const idPrefix = parseIdPrefix(q.get('idPrefix'));
    const order = parseOrder(q.get('order'));
    const pageSize = parsePageSize(q.get('pageSize'));
    const pageToken = q.get('pageToken');
    const page = await client.list(
      { ...filter, ...(idPrefix !== undefined ? { instanceIdPrefix: idPrefix } : {}) },
      { ...(pageSize !== undefined ? { pageSize } : {}), ...(pageToken ? { pageToken } : {}), ...(order !== undefined ? { order } : {}) },
    );
    return json(200, { instances: page.instances.map(summary), ...(page.nextPageToken !== undefined ? { nextPageToken: page.nextPageToken } : {}) });
  });

  // Bulk purge: the same filter as the list, in a JSON body; only finished instances are deleted.
  router.on('POST', '/api/v1/instances/purge', async (req) => {
    const { filter, recursive } = purgeRequestOf(await readJsonObject(req));
    return json(200, await client.purgeInstances({ ...filter, recursive }));
  });

  // A hot route: answered straight from node:http by the socket adapter (api/plain.ts).
  router.onPlain('GET', '/api/v1/instances/:id', async (req, p) => {
    // `?wait=`: answered once finished or when the wait passes (api/instance-wait.ts).
    const waitMs = parseWait(req.url.searchParams.get('wait'));
    const finished = waitMs !== undefined ? await waits.untilFinished(p.id!, waitMs, req.hangUp) : undefined;
    const m = finished ?? (await client.get(p.id!));
    if (!m) throw new HttpError(404, 'ERR_INSTANCE_ID_NOT_FOUND', `unable to find workflow with the provided instance ID: ${p.id}`);
    // The state-level view (specs/timeline.md): current states and waits, definition, children.
    return { status: 200, body: { ...detail(m), ...(await instanceState(host.engine, m)) } };
  });

  registerTimelineRoutes(router, host);

  router.on('GET', '/api/v1/instances/:id/history', async (_req, p) => json(200, { instanceID: p.id, events: await client.history(p.id!) }));

  router.on('GET', '/api/v1/workflows', async () => {
    await host.refreshDefinitions();
    return json(200, { workflows: host.workflows() });
  });

  router.on('GET', '/api/v1/workflows/:id', async (_req, p) => {
    await host.knowWorkflow(p.id!);
    const graph = host.catalog.graph(p.id!);
    const info = host.workflows().find((w) => w.id === p.id);
    if (!graph || !info) throw new HttpError(404, 'ERR_WORKFLOW_NOT_FOUND', `no workflow definition with id '${p.id}' is registered`);
    return json(200, { ...info, definition: graph.definition });
  });

  // Counts by status of one workflow name (registered or not: instances outlive their definition).
  router.on('GET', '/api/v1/workflows/:id/counts', async (_req, p, url) => {
    const idPrefix = parseIdPrefix(url.searchParams.get('idPrefix'));
    const rows = await client.count({ name: p.id!, ...(idPrefix !== undefined ? { instanceIdPrefix: idPrefix } : {}) });
    const counts = Object.fromEntries(Object.values(RuntimeStatus).map((s) => [s, 0])) as Record<RuntimeStatus, number>;
    for (const r of rows) counts[r.runtimeStatus] += r.count;
    return json(200, { workflowName: p.id, counts, total: rows.reduce((n, r) => n + r.count, 0) });
  });

  // Register: the body is the definition (YAML or JSON text). 201 when registered, 400 with diagnostics when invalid.
  router.on('POST', '/api/v1/workflows', async (req) => {
    const { result, workflow } = await host.catalog.register(await req.text());
    const limited = documentLimitAnswer(result);
    if (limited !== undefined) return limited;
    if (!workflow) return json(400, { errorCode: 'ERR_DEFINITION_INVALID', message: `the definition is invalid: ${result.diagnostics.filter((d) => d.severity === 'error').length} error(s)`, ...diagnosticsBody(result) });
    return json(201, { workflow, ...diagnosticsBody(result) });
  });

  router.on('POST', '/api/v1/workflows/validate', async (req) => {
    const result = await host.catalog.validate(await req.text());
    return documentLimitAnswer(result) ?? json(200, diagnosticsBody(result));
  });

  router.on('POST', '/api/v1/events', (req) => postEvents(req, host));
}
