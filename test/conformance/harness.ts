/**
 * @module test/conformance/harness
 * Runs one conformance case on a shared engine: writes its files and generated OpenAPI documents
 * next to the workflow, loads and registers its definitions, starts an instance, raises its events,
 * and checks the outcome (output or failure) and the stub-call sequence against the case.
 */

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import {
  createEngine,
  initExpressions,
  loadWorkflowText,
  registerWorkflow,
  secretsReady,
  type EngineOptions,
  type Engine,
  type FailureDetails,
  type InstanceMetadata,
  type WorkflowGraph,
} from '../../src/index.js';
import type { ConformanceCase, ExpectedCall } from './case-format.js';
import { caseComponentHost, CaseServices, withStubUrl, type RecordedCall, type StubServer } from './stub-services.js';

/** The interpreter entry the suite drives (src/interpreter/index.ts). */
export type RegisterWorkflow = (
  engine: Engine,
  graph: WorkflowGraph,
  options?: {
    components?: unknown;
    secrets?: Record<string, string>;
    workflows?: (id: string, version?: string) => WorkflowGraph | undefined;
    baseDir?: string;
  },
) => string;

/** What the runner shares between cases. */
export interface SuiteContext {
  engine: Engine;
  stub: StubServer;
  /** Temp directory; each case writes under `<tmpDir>/<prefix>/`. */
  tmpDir: string;
  registerWorkflow: RegisterWorkflow;
  /** Waits until the secrets of registered workflows are loaded (interpreter contract before instances run). */
  secretsReady: (engine: Engine) => Promise<void>;
}

/**
 * Starts what a suite shares: jq, the stub server and one engine (`engineOptions.store`, memory by
 * default). `close` stops the stub first — it drops answers still being delayed, so the engine's
 * stop does not wait for their activities — then the engine.
 */
export async function openSuite(stub: StubServer, tmpDir: string, engineOptions: EngineOptions = {}): Promise<{ ctx: SuiteContext; close: () => Promise<void> }> {
  await initExpressions();
  await stub.start();
  const engine = await createEngine({ store: 'memory', pollIntervalMs: 50, shutdownTimeoutMs: 1000, ...engineOptions });
  await engine.start();
  // The case host answers custom operations with plain objects; the suite's narrower signature says so.
  const ctx: SuiteContext = { engine, stub, tmpDir, registerWorkflow: registerWorkflow as unknown as RegisterWorkflow, secretsReady };
  return {
    ctx,
    close: async () => {
      await stub.stop();
      await engine.stop();
    },
  };
}

/** The file-system and URL-safe prefix of a case. */
export function casePrefix(c: ConformanceCase): string {
  return c.name.replace(/[^A-Za-z0-9_-]+/g, '--');
}

/** Writes a file given in the case: strings as they are, anything else as JSON. */
function writeCaseFile(path: string, content: unknown): void {
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

async function loadGraphs(c: ConformanceCase, dir: string, stubUrl: string): Promise<{ main: WorkflowGraph; others: WorkflowGraph[] }> {
  const text = (w: unknown): string => JSON.stringify(w).replaceAll('{{stub}}', stubUrl);
  const main = await loadWorkflowText(text(c.workflow), join(dir, 'workflow.json'));
  const others: WorkflowGraph[] = [];
  for (const [i, w] of c.workflows.entries()) others.push(await loadWorkflowText(text(w), join(dir, `workflow-${i + 1}.json`)));
  return { main, others };
}

/** All messages and codes of a failure and its inner failures. */
function failureChain(f: FailureDetails | undefined): { codes: string[]; text: string } {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let x = f; x; x = x.inner) {
    if (x.code !== undefined) codes.push(x.code);
    messages.push(x.message);
  }
  return { codes, text: messages.join(' | ') };
}

function callMatches(expected: ExpectedCall, actual: RecordedCall): boolean {
  for (const [k, v] of Object.entries(expected)) {
    const got = (actual as unknown as Record<string, unknown>)[k];
    if (k === 'event' && typeof v === 'object' && v !== null) {
      const ev = (got ?? {}) as Record<string, unknown>;
      if (!Object.entries(v).every(([ek, evv]) => isDeepStrictEqual(ev[ek], evv))) return false;
    } else if (!isDeepStrictEqual(got, v)) return false;
  }
  return true;
}

function callsMatch(expected: ExpectedCall[], actual: RecordedCall[], order: 'exact' | 'any'): boolean {
  if (expected.length !== actual.length) return false;
  if (order === 'exact') return expected.every((e, i) => callMatches(e, actual[i]!));
  const left = [...actual];
  for (const e of expected) {
    const i = left.findIndex((a) => callMatches(e, a));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

function describeOutcome(r: InstanceMetadata): string {
  if (r.runtimeStatus === 'COMPLETED') return `COMPLETED with output ${JSON.stringify(r.output)}`;
  const chain = failureChain(r.failure);
  return `${r.runtimeStatus}${chain.codes.length ? ` (code ${chain.codes.join(' / ')})` : ''}: ${chain.text || JSON.stringify(r.output)}`;
}

/** Runs one case and asserts its expectation; throws an AssertionError naming what differs. Returns the instance id. */
export async function runCase(ctx: SuiteContext, c: ConformanceCase): Promise<string> {
  const prefix = casePrefix(c);
  const dir = join(ctx.tmpDir, prefix);
  mkdirSync(dir, { recursive: true });
  const services = new CaseServices(c);
  const docs = ctx.stub.mount(prefix, services);
  for (const [name, content] of Object.entries({ ...c.files, ...docs })) writeCaseFile(join(dir, name), withStubUrl(content, ctx.stub.baseUrl(prefix)));
  const stopEvents = new AbortController();
  try {
    const { main, others } = await loadGraphs(c, dir, ctx.stub.baseUrl(prefix));
    const byId = new Map<string, WorkflowGraph>();
    for (const g of [main, ...others]) {
      if (!byId.has(g.id)) byId.set(g.id, g);
      if (g.version !== undefined) byId.set(`${g.id}@${g.version}`, g);
    }
    for (const [k, v] of Object.entries(c.env)) process.env[k] = v;
    const options = {
      components: caseComponentHost(services),
      // Only cases that list secrets pass them; the others exercise the default sources (host, then environment).
      ...(Object.keys(c.secrets).length > 0 ? { secrets: c.secrets } : {}),
      workflows: (id: string, version?: string) => byId.get(version !== undefined ? `${id}@${version}` : id),
      baseDir: dir,
    };
    // Subflow and continueAs targets are registered by the interpreter through `workflows`.
    const name = ctx.registerWorkflow(ctx.engine, main, options);
    await ctx.secretsReady(ctx.engine);
    const early = c.events.filter((e) => e.beforeStart);
    const id = await ctx.engine.client.start(name, c.input, early.length > 0 ? { startAt: Date.now() + 300 } : {});
    for (const ev of early) await ctx.engine.client.raiseEvent(id, ev.name, ev.data);

    const raised = (async () => {
      for (const ev of c.events.filter((e) => !e.beforeStart)) {
        if (ev.afterCalls) await services.callsReached(ev.afterCalls, stopEvents.signal);
        if (ev.delayMs) await sleep(ev.delayMs, undefined, { signal: stopEvents.signal }).catch(() => undefined);
        if (stopEvents.signal.aborted) return;
        await ctx.engine.client.raiseEvent(id, ev.name, ev.data);
      }
    })();

    let r: InstanceMetadata;
    try {
      r = await ctx.engine.client.waitForCompletion(id, { timeoutMs: c.timeoutMs });
    } catch (err) {
      await ctx.engine.client.terminate(id, { reason: 'conformance case timed out' }).catch(() => undefined);
      throw new assert.AssertionError({
        message: `instance did not finish within ${c.timeoutMs} ms (${(err as Error).message}); stub calls so far: ${JSON.stringify(services.calls)}`,
      });
    }
    stopEvents.abort();
    await raised.catch(() => undefined);

    const exp = c.expect;
    if ('output' in exp) {
      assert.equal(r.runtimeStatus, 'COMPLETED', `expected COMPLETED, got ${describeOutcome(r)}`);
      assert.deepStrictEqual(r.output, exp.output, `workflow output differs`);
    } else if (exp.failure) {
      const f = exp.failure;
      const status = f.status ?? 'FAILED';
      assert.equal(r.runtimeStatus, status, `expected ${status}, got ${describeOutcome(r)}`);
      const chain = failureChain(r.failure);
      if (f.code !== undefined) {
        assert.ok(chain.codes.includes(f.code), `expected failure code '${f.code}', got ${describeOutcome(r)}`);
      }
      const fragments = f.message === undefined ? [] : Array.isArray(f.message) ? f.message : [f.message];
      for (const frag of fragments) {
        assert.ok(chain.text.includes(frag), `failure message should mention '${frag}'; got ${describeOutcome(r)}`);
      }
    }
    if (exp.calls) {
      if (exp.settleMs) await sleep(exp.settleMs);
      // Async invocations may land after the instance finished: give them a moment.
      const deadline = Date.now() + 3000;
      while (!callsMatch(exp.calls, services.calls, exp.callOrder ?? 'exact') && Date.now() < deadline) await sleep(20);
      assert.ok(
        callsMatch(exp.calls, services.calls, exp.callOrder ?? 'exact'),
        `stub calls differ (${exp.callOrder ?? 'exact'} order)\n  expected: ${JSON.stringify(exp.calls)}\n  actual:   ${JSON.stringify(services.calls)}`,
      );
    }
    return id;
  } finally {
    stopEvents.abort();
    ctx.stub.unmount(prefix);
  }
}
