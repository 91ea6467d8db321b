/**
 * @module test/interpreter/harness
 * Runs workflow definitions (objects) on a memory engine for the interpreter's unit tests.
 */
import { afterEach } from 'node:test';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { InstanceMetadata } from '../../src/engine/client.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { initExpressions } from '../../src/expressions/index.js';
import { loadWorkflowText } from '../../src/graph/load.js';
import type { WorkflowGraph } from '../../src/graph/types.js';
import { WorkflowError } from '../../src/errors.js';
import { registerWorkflow, type InterpreterOptions } from '../../src/interpreter/index.js';

const live: Engine[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((e) => e.stop()));
});

/** Compiles a definition object (specVersion filled in). */
export async function graphOf(def: Record<string, unknown>, baseDir?: string): Promise<WorkflowGraph> {
  await initExpressions();
  // Placed in baseDir when given, so the validator finds the files the definition names there
  // (e.g. a rest function's OpenAPI document), as the interpreter does at run time.
  const file = `${String(def.id)}.json`;
  return loadWorkflowText(JSON.stringify({ specVersion: '0.8', ...def }), baseDir !== undefined ? join(baseDir, file) : file);
}

/** A started memory engine, stopped after the test. */
export async function engine(options: EngineOptions = {}): Promise<Engine> {
  const e = await createEngine({ store: 'memory', pollIntervalMs: 10, ...options });
  live.push(e);
  return e;
}

export interface RunOptions extends InterpreterOptions {
  /** Subflows and continueAs targets (definition objects). */
  others?: Record<string, unknown>[];
  /** Events raised (in order) once the instance has started, each after `delayMs`. */
  events?: { name: string; data?: unknown; delayMs?: number }[];
  timeoutMs?: number;
  /** Options of the engine the run uses (e.g. fan-out limits). */
  engineOptions?: EngineOptions;
}

/** Runs a definition to completion; returns the instance metadata and the engine. */
export async function run(def: Record<string, unknown>, input?: unknown, options: RunOptions = {}): Promise<InstanceMetadata & { engine: Engine }> {
  const e = await engine(options.engineOptions);
  const others = await Promise.all((options.others ?? []).map((o) => graphOf(o, options.baseDir)));
  const workflows = (id: string, version?: string) => others.find((g) => g.id === id && (version === undefined || g.version === version));
  const name = registerWorkflow(e, await graphOf(def, options.baseDir), { workflows, ...options });
  await e.start();
  const id = await e.client.start(name, input);
  for (const ev of options.events ?? []) {
    await new Promise((r) => setTimeout(r, ev.delayMs ?? 20));
    await e.client.raiseEvent(id, ev.name, ev.data);
  }
  const r = await e.client.waitForCompletion(id, { timeoutMs: options.timeoutMs ?? 10_000 });
  return { ...r, engine: e };
}

/** Shorthand: an `expression` function. */
export function exprFn(name: string, operation: string): Record<string, unknown> {
  return { name, type: 'expression', operation };
}

/** A fake ComponentHost: `invoke:<app>/<method>` calls `handlers[method](data)`; records every call. */
export function fakeHost(handlers: Record<string, (data: unknown, n: number) => unknown>) {
  const calls: { method: string; data: unknown; idempotencyKey?: string }[] = [];
  const published: { pubsub: string; topic: string; event: Record<string, unknown> }[] = [];
  const counts = new Map<string, number>();
  const host = {
    calls,
    published,
    async invokeService(req: { appId: string; method: string; data?: unknown; idempotencyKey?: string }) {
      calls.push({ method: req.method, data: req.data, idempotencyKey: req.idempotencyKey });
      const n = (counts.get(req.method) ?? 0) + 1;
      counts.set(req.method, n);
      const h = handlers[req.method];
      if (!h) throw new WorkflowError('404', `no method ${req.method}`);
      return { status: 200, data: await h(req.data, n), headers: {} };
    },
    async invokeBinding(req: { name: string; operation: string; data?: unknown }) {
      calls.push({ method: `${req.name}/${req.operation}`, data: req.data });
      return { data: { bound: req.data }, metadata: {} };
    },
    async publish(req: { pubsub: string; topic: string; event: Record<string, unknown> }) {
      published.push(req);
    },
    async subscribe() {
      return { close: async () => undefined };
    },
    async getSecret(name: string) {
      return name === 'API_KEY' ? 'k-123' : undefined;
    },
    async close() {},
  };
  return host;
}

/** A custom function definition calling the fake host's method. */
export function invokeFn(name: string, method = name): Record<string, unknown> {
  return { name, type: 'custom', operation: `invoke:svc/${method}` };
}
