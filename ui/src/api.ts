/**
 * @module ui/api
 * Calls to the Swirl HTTP API of the same origin. The API token lives in sessionStorage (this tab,
 * until it closes) — never in the URL, a cookie or localStorage — and goes in the
 * `dapr-api-token` header. A 401 raises {@link AuthRequired}: the page then asks for the token.
 */

const TOKEN_KEY = 'swirl.apiToken';

/** The server wants a (valid) token. */
export class AuthRequired extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthRequired';
  }
}

/** An API error answer: status, errorCode and message as the server gave them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let onAuthLost: (() => void) | undefined;
/** What to do when a call made in the background (a poll) meets a 401: the router asks for the token. */
export function whenAuthLost(listener: () => void): void {
  onAuthLost = listener;
}
/** A background call met a 401: hands over to the listener of {@link whenAuthLost}. */
export function authLost(): void {
  onAuthLost?.();
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string | null): void {
  if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** One API call; JSON in and out. Throws ApiError / AuthRequired on an error answer. */
export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown; text?: string; accept?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  const token = getToken();
  if (token) headers['dapr-api-token'] = token;
  let body: string | undefined;
  if (init.text !== undefined) {
    body = init.text;
    headers['content-type'] = 'text/plain; charset=utf-8';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  if (res.status === 401) throw new AuthRequired(typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String((parsed as { message: unknown }).message) : 'the server wants an API token');
  if (!res.ok) {
    const b = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { errorCode?: string; message?: string };
    throw new ApiError(res.status, b.errorCode ?? `HTTP_${res.status}`, b.message ?? `${res.status} ${res.statusText}`, parsed);
  }
  return parsed as T;
}

/** Path of a Dapr workflow route for an instance (`/v1.0/workflows/dapr/{id}/…`). */
export const dapr = (id: string, op: string) => `/v1.0/workflows/dapr/${encodeURIComponent(id)}/${op}`;

// Shapes of the answers the pages use (specs/http-api.openapi.yaml, specs/timeline.md).
export interface WorkflowInfo {
  id: string;
  version?: string;
  name?: string;
  hash: string;
  source: string;
  startEvents: string[];
  schedule?: { interval?: string; cron?: string };
  olderVersions?: { hash: string; version?: string }[];
}
export interface InstanceSummary {
  instanceID: string;
  workflowName: string;
  runtimeStatus: string;
  createdAt: string;
  lastUpdatedAt: string;
}
export type Wait =
  | { kind: 'activity'; function: string; attempt: number; since: string }
  | { kind: 'subflow'; workflow: string; instanceId: string; since: string }
  | { kind: 'event'; events: string[]; correlation?: { attribute: string; value?: string }[]; since: string }
  | { kind: 'timer'; until: string }
  | { kind: 'retry'; function: string; attempt: number; until: string };
export interface InstanceDetail extends InstanceSummary {
  completedAt?: string;
  parentInstanceID?: string;
  input?: unknown;
  output?: unknown;
  customStatus?: unknown;
  failure?: { errorType: string; message: string; code?: string; [k: string]: unknown };
  definition?: { id: string; version?: string; hash?: string };
  currentStates?: { state: string; type: string; enteredAt: string; branch?: string; iteration?: number; waitingFor?: Wait }[];
  currentStatesError?: string;
  children?: { instanceID: string; workflowName: string; runtimeStatus: string }[];
}
export interface TimelineItem {
  seq: number;
  time: string;
  kind: string;
  state?: string;
  durationMs?: number;
  [k: string]: unknown;
}
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  pointer?: string;
  line?: number;
  column?: number;
  hint?: string;
}
