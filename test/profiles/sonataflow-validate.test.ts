// Validation under --profile sonataflow: what the profile accepts, what it still refuses (with the
// diagnostic a user sees), and that the standard profile stays strict about the same documents.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateText } from '../../src/definition/validate.js';
import { Profile } from '../../src/definition/profiles/profile.js';
import { evaluatedBySonataflow } from '../../src/definition/profiles/sonataflow/expressions.js';
import { initExpressions } from '../../src/expressions/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sf = (doc: unknown) => validateText(JSON.stringify(doc), 'wf.sw.json', { profile: Profile.Sonataflow });
const codes = (r: Awaited<ReturnType<typeof sf>>) => r.diagnostics.map((d) => [d.severity, d.code, d.pointer]);

const greet = {
  id: 'g',
  functions: [{ name: 'log', type: 'custom', operation: 'sysout:WARN' }],
  states: [{ name: 'S', type: 'operation', actions: [{ functionRef: { refName: 'log', arguments: { message: '.name' } } }], end: 'true' }],
};

describe('validate --profile sonataflow', () => {
  it('accepts a SonataFlow document the standard profile refuses', async () => {
    const r = await sf(greet);
    assert.equal(r.valid, true, JSON.stringify(r.diagnostics));
    assert.deepEqual(codes(r), [
      ['info', 'SPEC_VERSION_ASSUMED', ''],
      ['warning', 'STRING_BOOLEAN', '/states/0/end'],
    ]);
    const standard = await validateText(JSON.stringify(greet), 'wf.sw.json');
    assert.equal(standard.valid, false);
    assert.ok(standard.diagnostics.some((d) => d.code === 'MISSING_PROPERTY' && /specVersion/.test(d.message)));
    assert.ok(standard.diagnostics.some((d) => d.code === 'INVALID_OPERATION' && d.pointer === '/functions/0/operation'));
  });

  it("evaluates a bare argument by SonataFlow's rule: jq that reads something; text and constants stay literal", async () => {
    await initExpressions();
    for (const s of ['.name', '.greeting + .name', '"Hello \\(.name)"', '$CONST.x', '.items[0].id']) assert.equal(evaluatedBySonataflow(s), true, s);
    for (const s of ['hello world', 'http://example.com/a.b', 'a@b.com', '42', 'true', '2024-01-01', '${ .a }', '']) assert.equal(evaluatedBySonataflow(s), false, s);
  });

  it('a Java service function is one error with the rewrite, nothing else', async () => {
    const r = await sf({ ...greet, functions: [{ name: 'svc', type: 'custom', operation: 'service:java:org.acme.Svc::run' }], states: [{ name: 'S', type: 'operation', actions: [{ functionRef: 'svc' }], end: true }] });
    assert.deepEqual(codes(r).filter((c) => c[0] === 'error'), [['error', 'SONATAFLOW_ONLY_FUNCTION', '/functions/0/operation']]);
    const d = r.diagnostics.find((x) => x.code === 'SONATAFLOW_ONLY_FUNCTION')!;
    assert.equal(d.message, "function 'svc': a Java service call ('service:java:org.acme.Svc::run') cannot run outside SonataFlow; expose it over HTTP and call it with a rest function");
    assert.match(d.hint!, /"operation": "rest:post:http:\/\/<host>:<port>\/<path>"/);
  });

  it('Camel, Python, script and work-item functions: one error each naming what it is, with the same rewrite', async () => {
    const ops = ['camel:direct:numbers', 'service:python:scripts.calc::run', 'script:python:print(1)', 'workitem:Email'];
    const r = await sf({ ...greet, functions: ops.map((operation, i) => ({ name: `f${i}`, type: 'custom', operation })), states: [{ name: 'S', type: 'operation', actions: ops.map((_, i) => ({ functionRef: { refName: `f${i}`, arguments: { n: '.n' } } })), end: true }] });
    assert.deepEqual(codes(r).filter((c) => c[0] === 'error'), ops.map((_, i) => ['error', 'SONATAFLOW_ONLY_FUNCTION', `/functions/${i}/operation`]));
    const messages = r.diagnostics.filter((d) => d.code === 'SONATAFLOW_ONLY_FUNCTION').map((d) => d.message);
    assert.deepEqual(messages, [
      "function 'f0': a Camel route ('camel:direct:numbers') cannot run outside SonataFlow; expose it over HTTP and call it with a rest function",
      "function 'f1': a Python service call ('service:python:scripts.calc::run') cannot run outside SonataFlow; expose it over HTTP and call it with a rest function",
      "function 'f2': a script ('script:python:print(1)') cannot run outside SonataFlow; expose it over HTTP and call it with a rest function",
      "function 'f3': a work item handler ('workitem:Email') cannot run outside SonataFlow; expose it over HTTP and call it with a rest function",
    ]);
    for (const [i, d] of r.diagnostics.filter((x) => x.code === 'SONATAFLOW_ONLY_FUNCTION').entries()) assert.match(d.hint!, new RegExp(`"name": "f${i}", "type": "custom", "operation": "rest:post:http://<host>:<port>/<path>"`));
  });

  it('string booleans: every boolean property of 0.8 is read, one warning each; user data keeps its strings', async () => {
    const r = await sf({
      id: 'b',
      start: 'E',
      events: [{ name: 'go', type: 'go', source: 's' }],
      functions: [{ name: 'log', type: 'custom', operation: 'sysout' }],
      states: [
        { name: 'E', type: 'event', exclusive: 'false', onEvents: [{ eventRefs: ['go'], eventDataFilter: { useData: 'FALSE' }, actions: [{ functionRef: { refName: 'log', arguments: { message: 'true' } }, actionDataFilter: { useResults: 'true' } }] }], transition: { nextState: 'I', compensate: 'false' } },
        { name: 'I', type: 'inject', data: { done: 'true' }, metadata: { audited: 'false' }, usedForCompensation: 'false', end: { terminate: 'True' } },
      ],
    });
    assert.equal(r.valid, true, JSON.stringify(r.diagnostics));
    assert.deepEqual(
      codes(r).filter((c) => c[0] === 'warning'),
      ['/states/0/exclusive', '/states/0/onEvents/0/eventDataFilter/useData', '/states/0/onEvents/0/actions/0/actionDataFilter/useResults', '/states/0/transition/compensate', '/states/1/usedForCompensation', '/states/1/end/terminate'].map((p) => ['warning', 'STRING_BOOLEAN', p]),
    );
    assert.equal(r.diagnostics.find((d) => d.pointer === '/states/1/end/terminate')!.message, '\'terminate\' is the string "True"; read as the boolean true');
    const standard = await validateText(JSON.stringify({ specVersion: '0.8', id: 'b', start: 'I', states: [{ name: 'I', type: 'inject', data: {}, end: { terminate: 'true' } }] }), 'wf.json');
    assert.equal(standard.valid, false, 'the standard profile refuses a string boolean');
  });

  it('arguments written as one bare jq string (SonataFlow) are accepted under the profile; the standard profile refuses them', async () => {
    const doc = { id: 'a', functions: [{ name: 'e', type: 'expression', operation: '.left * .right' }], states: [{ name: 'S', type: 'operation', actions: [{ functionRef: { refName: 'e', arguments: '{ left: .x, right: 2 }' }, actionDataFilter: { toStateData: '.y' } }], end: true }] };
    const r = await sf(doc);
    assert.deepEqual(codes(r).filter((c) => c[0] !== 'info'), []);
    const standard = await validateText(JSON.stringify({ specVersion: '0.8', ...doc }), 'wf.json');
    assert.deepEqual(standard.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.pointer]), [['WRONG_TYPE', '/states/0/actions/0/functionRef/arguments']]);
  });

  it('classpath: outside a SonataFlow project (no src/main/resources above the workflow) is one FILE_NOT_FOUND at the reference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swirl-sf-noproject-'));
    try {
      const doc = { id: 'c', dataInputSchema: 'classpath:schemas/in.json', functions: [{ name: 'op', operation: 'classpath:specs/api.yaml#getIt' }], states: [{ name: 'S', type: 'operation', actions: [{ functionRef: 'op' }], end: true }] };
      const r = await validateText(JSON.stringify(doc), join(dir, 'wf.sw.json'), { profile: Profile.Sonataflow });
      assert.deepEqual(codes(r).filter((c) => c[0] === 'error'), [
        ['error', 'FILE_NOT_FOUND', '/dataInputSchema'],
        ['error', 'FILE_NOT_FOUND', '/functions/0/operation'],
      ]);
      assert.match(r.diagnostics.find((d) => d.pointer === '/functions/0/operation')!.message, /^function 'op': 'classpath:specs\/api\.yaml' needs the project's src\/main\/resources folder, and none was found above /);
      assert.match(r.diagnostics.find((d) => d.pointer === '/dataInputSchema')!.message, /^'classpath:schemas\/in\.json' needs the project's src\/main\/resources folder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot run, saying where', async () => {
    const knative = await sf({ ...greet, functions: [{ name: 'log', type: 'custom', operation: 'knative:services.v1.serving.knative.dev/svc' }] });
    assert.deepEqual(codes(knative).filter((c) => c[0] === 'error'), [['error', 'INVALID_OPERATION', '/functions/0/operation']]);
    assert.match(knative.diagnostics.find((d) => d.severity === 'error')!.message, /has no '\?path='/);
    const level = await sf({ ...greet, functions: [{ name: 'log', type: 'custom', operation: 'sysout:LOUD' }] });
    assert.match(level.diagnostics.find((d) => d.severity === 'error')!.message, /sysout level 'LOUD' is not one of TRACE, DEBUG, INFO, WARN, ERROR/);
    const item = await sf({
      id: 'f',
      functions: [{ name: 'e', type: 'expression', operation: '.' }],
      states: [{ name: 'S', type: 'foreach', inputCollection: '.xs', actions: [{ functionRef: 'e', actionDataFilter: { results: '$item' } }], end: true }],
    });
    assert.deepEqual(codes(item).filter((c) => c[0] === 'error'), [['error', 'UNDEFINED_VARIABLE', '/states/0/actions/0/actionDataFilter/results']]);
  });

  it('jsonpath: expressions are checked as JSONPath under the profile; the standard profile refuses the language', async () => {
    const doc = { id: 'j', specVersion: '0.8', expressionLang: 'jsonpath', states: [{ name: 'S', type: 'switch', dataConditions: [{ condition: "${ $[?(@.a == 'x')] }", transition: 'T' }, { condition: '.a', transition: 'T' }], defaultCondition: { transition: 'T' } }, { name: 'T', type: 'inject', data: {}, end: true }] };
    const r = await sf(doc);
    assert.deepEqual(codes(r).filter((c) => c[0] === 'error'), [['error', 'INVALID_EXPRESSION', '/states/0/dataConditions/1/condition']]);
    assert.match(r.diagnostics.find((d) => d.severity === 'error')!.message, /invalid JSONPath expression '\.a': JSONPath expression "\.a" does not start with '\$'/);
    const standard = await validateText(JSON.stringify(doc), 'wf.json');
    assert.deepEqual(standard.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), ['UNSUPPORTED_EXPRESSION_LANG']);
  });
});
