/**
 * @module interpreter/profiles/sonataflow
 * The sonataflow profile at run time (specs/sonataflow-profile.md): the `$WORKFLOW` variable,
 * `sysout` functions (a log line at the function's level, in the orchestration: no activity, silent
 * on replay) and `rest:<verb>:<url>` calls (in the function activity).
 */
import type { RestShortcut, SonataflowRuntime, SysoutLevel } from '../../definition/profiles/sonataflow/runtime.js';
import type { WorkflowGraph } from '../../graph/types.js';
import type { Agent } from 'undici';
import { loadOnUse } from '../../optional-module.js';
import { WorkflowError } from '../../errors.js';

/** `$WORKFLOW` (SonataFlow): the instance id and the definition's id, name and version. */
export function workflowVariable(graph: WorkflowGraph, instanceId: string): Record<string, unknown> {
  return { instanceId, id: graph.id, name: graph.name ?? null, version: graph.version ?? null };
}

/** The level of a sysout function, or undefined when `name` is not one. */
export function sysoutLevel(runtime: SonataflowRuntime | undefined, name: string): SysoutLevel | undefined {
  return runtime?.sysout[name];
}

/** Swirl's logger level for a sysout level (TRACE has no level of its own: debug). */
export function loggerLevel(level: SysoutLevel): 'debug' | 'info' | 'warn' | 'error' {
  switch (level) {
    case 'TRACE':
    case 'DEBUG':
      return 'debug';
    case 'INFO':
      return 'info';
    case 'WARN':
      return 'warn';
    case 'ERROR':
      return 'error';
  }
}

/** What a sysout call logs: its `message` argument (text as is, anything else as JSON), else the whole input. */
export function sysoutMessage(args: unknown, input: unknown): string {
  const message = args !== null && typeof args === 'object' && !Array.isArray(args) && 'message' in args ? (args as Record<string, unknown>).message : (args ?? input);
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/** A rest: call's default timeout (SonataFlow's REST clients: no limit; Swirl bounds every call). */
const REST_TIMEOUT_MS = 30_000;
let agent: Agent | undefined;

/**
 * Calls a `rest:` function: `{name}` segments of the URL are filled (URL-encoded) from the
 * arguments of that name; the remaining arguments are the JSON body, or query parameters for GET
 * and DELETE (as SonataFlow sends them).
 */
export async function callRestShortcut(name: string, shortcut: RestShortcut, args: unknown, options: { idempotencyKey: string; signal?: AbortSignal }): Promise<unknown> {
  const rest: Record<string, unknown> = args !== null && typeof args === 'object' && !Array.isArray(args) ? { ...(args as Record<string, unknown>) } : {};
  const missing: string[] = [];
  let url = shortcut.url.replace(/\{([^}/]+)\}/g, (_, p: string) => {
    if (!(p in rest)) {
      missing.push(p);
      return `{${p}}`;
    }
    const v = rest[p];
    delete rest[p];
    return encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
  });
  if (missing.length > 0) throw new WorkflowError('INVALID_ARGUMENTS', `function '${name}': no argument for the path parameter(s) ${missing.map((m) => `'${m}'`).join(', ')} of ${shortcut.url}`, { nonRetryable: true });
  const bodyless = shortcut.method === 'GET' || shortcut.method === 'DELETE';
  if (bodyless) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(rest)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, typeof x === 'string' ? x : JSON.stringify(x));
    const qs = q.toString();
    if (qs) url += `${url.includes('?') ? '&' : '?'}${qs}`;
  }
  // undici loads with the first rest: call, not at start-up (issue 12).
  const { createHttpAgent, httpCall } = await loadOnUse(() => import('../../components/invoke/http-call.js'), 'undici', 'rest: functions (sonataflow profile)');
  agent ??= createHttpAgent(10_000);
  const answer = await httpCall(agent, {
    url,
    method: shortcut.method,
    headers: { accept: 'application/json', 'idempotency-key': options.idempotencyKey },
    ...(bodyless ? {} : { data: Array.isArray(args) || typeof args !== 'object' || args === null ? (args ?? {}) : rest }),
    ...(options.signal ? { signal: options.signal } : {}),
    timeoutMs: REST_TIMEOUT_MS,
    what: `function '${name}'`,
  });
  return answer.data;
}
