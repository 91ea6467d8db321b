/**
 * @module test/conformance/case-format
 * The conformance case format (one YAML file per case under cases/<area>/, documented in README.md)
 * and its loader, which checks each file's shape so a typo in a case fails loudly, by file and field.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { load } from 'js-yaml';

/** One canned answer of a stubbed operation. `jq` (over the request) computes the body instead of `body`. */
export interface CannedResponse {
  status?: number;
  body?: unknown;
  /** jq over the request (rest: {params, query, headers, body}; custom: {data, metadata}); its first output is the body. */
  jq?: string;
  delayMs?: number;
  /** jq over the request giving the delay in ms (overrides delayMs), e.g. `.body.ms`. */
  delayJq?: string;
}

/** A REST operation served by the loopback stub and described in a generated OpenAPI 3 document. */
export interface RestOperation {
  operationId: string;
  method: string;
  /** OpenAPI path, e.g. `/pets/{petId}` — path parameters are declared from the braces. */
  path: string;
  query?: string[];
  headers?: string[];
  /** Answers in call order; the last one repeats. Default: 200 with the request body echoed. */
  responses?: CannedResponse[];
}

/** An OpenAPI document the harness writes next to the workflow (so `operation: <doc>#<id>` resolves). */
export interface RestService {
  doc: string;
  operations: RestOperation[];
}

/** When a case's event is raised. */
export interface CaseEvent {
  /** Event name passed to raiseEvent (event definition name or CloudEvent type). */
  name: string;
  data?: unknown;
  /** Raise once the stubs have received this many calls in total (default 0: right after start). */
  afterCalls?: number;
  /** Then wait this long (wall clock) before raising. */
  delayMs?: number;
  /**
   * Raise while the instance is still PENDING (it is started 300 ms in the future), before it runs any
   * state. `afterCalls` / `delayMs` do not apply.
   */
  beforeStart?: boolean;
}

/** An expected stub call; only the fields given are compared. */
export interface ExpectedCall {
  /** `operationId` for rest, the operation URI (`invoke:app/m`, `binding:b/op`, `publish:p/t`) for custom. */
  op: string;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
  data?: unknown;
  /** Custom invoke: the HTTP verb; binding: the request metadata. */
  verb?: string;
  metadata?: Record<string, unknown>;
  /** For publish: the CloudEvent's fields that must match (type, data, extension attributes…). */
  event?: Record<string, unknown>;
}

/** What the case expects. Exactly one of `output` / `failure`. */
export interface Expectation {
  /** Deep-equal workflow output (the instance must be COMPLETED). */
  output?: unknown;
  failure?: {
    status?: 'FAILED' | 'TERMINATED';
    code?: string;
    /** Every fragment must appear in the failure message (case-sensitive). */
    message?: string | string[];
  };
  /** The stub calls, in this order (or in any order when `callOrder: any`). */
  calls?: ExpectedCall[];
  callOrder?: 'exact' | 'any';
  /** Wait this long after the instance finished before comparing calls (to see that a call does NOT happen). */
  settleMs?: number;
}

/** A parsed conformance case. */
export interface ConformanceCase {
  /** `<area>/<file name without .yaml>`; unique. */
  name: string;
  file: string;
  description: string;
  /** Why the expectation is what it is, where the spec left a choice (cites the decision). */
  why?: string;
  /** The workflow to start. */
  workflow: Record<string, unknown>;
  /** Other definitions the main one refers to (subflows, continueAs targets). */
  workflows: Record<string, unknown>[];
  /** Extra files written next to the workflow (schemas, external definitions). */
  files: Record<string, unknown>;
  /** Workflow input; absent means the instance is started without input. */
  input?: unknown;
  secrets: Record<string, string>;
  /** Environment variables set in the test process before the case starts (names must be unique to the case). */
  env: Record<string, string>;
  rest: RestService[];
  /** Custom operations (`invoke:…`, `binding:…`, `publish:…`) → answers. Unlisted ones answer 200 with the data echoed. */
  custom: Record<string, CannedResponse[]>;
  events: CaseEvent[];
  expect: Expectation;
  /** Wall-clock limit for the instance to finish. */
  timeoutMs: number;
}

const TOP_KEYS = new Set(['description', 'why', 'workflow', 'workflows', 'files', 'input', 'secrets', 'env', 'services', 'events', 'expect', 'timeoutMs']);

/** Reads every `*.yaml` case under `dir` (recursively), sorted by name. */
export function loadCases(dir: string): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.yaml')) out.push(parseCase(p, relative(dir, p).replace(/\.yaml$/, '')));
    }
  };
  walk(dir);
  return out;
}

function fail(file: string, field: string, message: string): never {
  throw new Error(`${basename(file)}: ${field}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function responses(file: string, field: string, v: unknown): CannedResponse[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(file, field, 'must be a list of {status, body | jq, delayMs}');
  return v.map((r, i) => {
    if (!isObject(r)) fail(file, `${field}[${i}]`, 'must be an object');
    for (const k of Object.keys(r)) if (!['status', 'body', 'jq', 'delayMs', 'delayJq'].includes(k)) fail(file, `${field}[${i}].${k}`, 'unknown key');
    return r as CannedResponse;
  });
}

/** Parses and shape-checks one case file. */
export function parseCase(file: string, name: string): ConformanceCase {
  let raw: unknown;
  try {
    raw = load(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, '(yaml)', (err as Error).message.split('\n')[0] ?? String(err));
  }
  if (!isObject(raw)) fail(file, '(root)', 'a case is a YAML mapping');
  for (const k of Object.keys(raw)) if (!TOP_KEYS.has(k)) fail(file, k, `unknown key (allowed: ${[...TOP_KEYS].join(', ')})`);
  if (typeof raw.description !== 'string' || raw.description.trim() === '') fail(file, 'description', 'required: what the case shows, in one line');
  if (!isObject(raw.workflow)) fail(file, 'workflow', 'required: the workflow definition');
  const workflows = raw.workflows ?? [];
  if (!Array.isArray(workflows) || !workflows.every(isObject)) fail(file, 'workflows', 'must be a list of definitions');

  const services = raw.services ?? {};
  if (!isObject(services)) fail(file, 'services', 'must be {rest?, custom?}');
  const rest = (services.rest ?? []) as RestService[];
  if (!Array.isArray(rest)) fail(file, 'services.rest', 'must be a list of {doc, operations}');
  rest.forEach((s, i) => {
    if (typeof s.doc !== 'string' || !Array.isArray(s.operations)) fail(file, `services.rest[${i}]`, 'needs doc and operations');
    s.operations.forEach((o, j) => {
      if (typeof o.operationId !== 'string' || typeof o.method !== 'string' || typeof o.path !== 'string') {
        fail(file, `services.rest[${i}].operations[${j}]`, 'needs operationId, method and path');
      }
      o.responses = responses(file, `services.rest[${i}].operations[${j}].responses`, o.responses);
    });
  });
  const customRaw = services.custom ?? {};
  if (!isObject(customRaw)) fail(file, 'services.custom', 'must map operation URIs to response lists');
  const custom: Record<string, CannedResponse[]> = {};
  for (const [op, v] of Object.entries(customRaw)) custom[op] = responses(file, `services.custom.${op}`, v);

  const events = (raw.events ?? []) as CaseEvent[];
  if (!Array.isArray(events) || !events.every((e) => isObject(e) && typeof e.name === 'string')) fail(file, 'events', 'must be a list of {name, data?, afterCalls?, delayMs?, beforeStart?}');

  const expect = raw.expect;
  if (!isObject(expect)) fail(file, 'expect', 'required');
  if (('output' in expect) === ('failure' in expect)) fail(file, 'expect', 'exactly one of output / failure');
  for (const k of Object.keys(expect)) if (!['output', 'failure', 'calls', 'callOrder', 'settleMs'].includes(k)) fail(file, `expect.${k}`, 'unknown key');

  const secrets = raw.secrets ?? {};
  if (!isObject(secrets)) fail(file, 'secrets', 'must map names to strings');
  const env = raw.env ?? {};
  if (!isObject(env) || !Object.values(env).every((v) => typeof v === 'string')) fail(file, 'env', 'must map variable names to strings');
  const files = raw.files ?? {};
  if (!isObject(files)) fail(file, 'files', 'must map file names to contents');

  const c: ConformanceCase = {
    name,
    file,
    description: raw.description,
    workflow: raw.workflow,
    workflows: workflows as Record<string, unknown>[],
    files,
    secrets: secrets as Record<string, string>,
    env: env as Record<string, string>,
    rest,
    custom,
    events,
    expect: expect as Expectation,
    timeoutMs: typeof raw.timeoutMs === 'number' ? raw.timeoutMs : 15_000,
  };
  if ('input' in raw) c.input = raw.input;
  if (typeof raw.why === 'string') c.why = raw.why;
  return c;
}
