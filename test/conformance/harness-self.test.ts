/**
 * @module test/conformance/harness-self.test
 * The harness must not pass vacuously: cases with a deliberately wrong expectation (output, failure
 * code, message, call sequence, a call that should not happen) must be reported as failures, and
 * the case loader must reject malformed case files by file and field.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCase, type ConformanceCase, type Expectation } from './case-format.js';
import { openSuite, runCase, type SuiteContext } from './harness.js';
import { StubServer } from './stub-services.js';

const tmpDir = mkdtempSync(join(tmpdir(), 'swirl-conformance-self-'));
let n = 0;

/** A small workflow: one REST call whose result lands in `.r`; `expect` is what we claim. */
function wrongCase(expect: Expectation, status = 200): ConformanceCase {
  const id = `conf-self-${++n}`;
  return {
    name: `self/${id}`,
    file: `${id}.yaml`,
    description: 'a deliberately wrong expectation',
    workflow: {
      id,
      specVersion: '0.8',
      functions: [{ name: 'get', operation: 'api.json#get' }],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: 'get', actionDataFilter: { toStateData: '${ .r }' } }], end: true }],
    },
    workflows: [],
    files: {},
    input: { a: 1 },
    secrets: {},
    env: {},
    rest: [{ doc: 'api.json', operations: [{ operationId: 'get', method: 'get', path: '/get', responses: [{ status, body: { v: 2 } }] }] }],
    custom: {},
    events: [],
    expect,
    timeoutMs: 10_000,
  };
}

describe('conformance harness rejects wrong expectations', { concurrency: true }, () => {
  const stub = new StubServer();
  let ctx: SuiteContext | undefined;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ ctx, close } = await openSuite(stub, tmpDir));
  });
  after(async () => {
    await close?.();
    rmSync(tmpDir, { recursive: true, force: true });
  });

  it('passes the right expectation (control)', async () => {
    await runCase(ctx!, wrongCase({ output: { a: 1, r: { v: 2 } }, calls: [{ op: 'get' }] }));
  });
  it('reports a different output', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ output: { a: 1, r: { v: 3 } } })), /workflow output differs/);
  });
  it('reports COMPLETED when a failure was expected', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ failure: { status: 'FAILED' } })), /expected FAILED, got COMPLETED/);
  });
  it('reports a wrong failure code', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ failure: { code: '404' } }, 500)), /expected failure code '404'/);
  });
  it('reports a missing message fragment', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ failure: { code: '500', message: ['NoSuchState'] } }, 500)), /should mention 'NoSuchState'/);
  });
  it('reports a call that should not have happened', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ output: { a: 1, r: { v: 2 } }, calls: [] })), /stub calls differ/);
  });
  it('reports a call with other arguments', async () => {
    await assert.rejects(runCase(ctx!, wrongCase({ output: { a: 1, r: { v: 2 } }, calls: [{ op: 'get', query: { x: '1' } }] })), /stub calls differ/);
  });

  it('the loader names the file and field of a malformed case', () => {
    const file = join(tmpDir, 'bad-case.yaml');
    writeFileSync(file, 'description: d\nworkflow: { id: x, specVersion: "0.8", states: [] }\nexpect: { output: 1, failure: { status: FAILED } }\n');
    assert.throws(() => parseCase(file, 'bad-case'), /bad-case\.yaml: expect: exactly one of output \/ failure/);
    writeFileSync(file, 'description: d\nworkflow: { id: x }\nexpect: { output: 1 }\nsurprise: true\n');
    assert.throws(() => parseCase(file, 'bad-case'), /bad-case\.yaml: surprise: unknown key/);
  });
});
