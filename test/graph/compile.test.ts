/**
 * graph/compile: a valid definition becomes an immutable graph with references resolved, spec
 * defaults applied, durations in milliseconds and every expression compiled; Mermaid rendering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefinitionError, EdgeKind, loadWorkflow, loadWorkflowText, renderMermaid } from '../../src/index.js';

const fixtures = new URL('../definition/fixtures/valid/', import.meta.url).pathname;

test('start defaults to the first state; spec defaults are applied (keepActive false, interrupt true)', async () => {
  const g = await loadWorkflowText(['id: d', "specVersion: '0.8'", 'states:', '  - {name: A, type: inject, data: {}, end: true}'].join('\n'));
  assert.equal(g.id, 'd');
  assert.equal(g.start, 'A');
  assert.equal(g.keepActive, false);
  assert.equal(g.autoRetries, false);
  assert.equal(g.timeouts.interrupt, true);
  assert.deepEqual(g.constants, {});
  assert.ok(Object.isFrozen(g));
  assert.match(g.hash, /^[0-9a-f]{64}$/);
});

test('durations become milliseconds: sleep, timeouts, retries', async () => {
  const g = await loadWorkflow(`${fixtures}fan-out.yaml`);
  assert.equal(g.nodes.get('Nap')!.sleepMs, 500);
  assert.equal(g.nodes.get('Both')!.timeouts.branchExecMs, 60_000);
  const order = await loadWorkflow(`${fixtures}order-with-compensation.yaml`);
  assert.deepEqual(order.retries.get('Backoff'), { name: 'Backoff', delayMs: 1000, incrementMs: 0, multiplier: 2, maxAttempts: 4, maxDelayMs: 30_000, jitter: { fraction: 0.1 } });
  const vitals = await loadWorkflow(`${fixtures}event-start.yaml`);
  assert.equal(vitals.timeouts.workflowExecMs, 3_600_000);
  assert.equal(vitals.timeouts.runBefore, 'Report');
  assert.equal(vitals.keepActive, true);
  const approval = await loadWorkflow(`${fixtures}approval-with-timeout.json`);
  assert.equal(approval.nodes.get('AskForApproval')!.timeouts.eventMs, 3_600_000);
  assert.equal(approval.nodes.get('Decide')!.timeouts.eventMs, 86_400_000);
});

test('edges: transitions, conditions, default, onErrors, compensation and compiled ends', async () => {
  const g = await loadWorkflow(`${fixtures}order-with-compensation.yaml`);
  const charge = g.nodes.get('Charge')!;
  assert.deepEqual(
    charge.edges.map((e) => [e.kind, e.to ?? 'END', e.label ?? '']),
    [
      [EdgeKind.Transition, 'Ship', ''],
      [EdgeKind.Error, 'END', 'CardDeclined'],
    ],
  );
  assert.deepEqual(charge.edges[1].end, { terminate: false, compensate: true, produceEvents: [] });
  assert.equal(g.nodes.get('Reserve')!.compensatedBy, 'Release');
  assert.equal(g.nodes.get('Release')!.usedForCompensation, true);
  const ship = g.nodes.get('Ship')!.edges[0];
  assert.deepEqual(ship.end?.produceEvents, [{ eventRef: 'OrderShipped', data: '${ {orderId: .orderId} }', contextAttributes: undefined }]);
  const check = (await loadWorkflow(`${fixtures}fan-out.yaml`)).nodes.get('Check')!;
  assert.deepEqual(check.edges.map((e) => [e.kind, e.to ?? 'END', e.label]), [
    [EdgeKind.Condition, 'END', '.doubled | length > 3'],
    [EdgeKind.Default, 'Split', 'default'],
  ]);
});

test('external sections are inlined and resolved; functions are reachable by name', async () => {
  const g = await loadWorkflow(`${fixtures}order-with-compensation.yaml`);
  assert.equal(g.functions.get('chargeCard')!.operation, 'invoke:payments/charge');
  assert.ok(g.dataInputSchema);
  assert.deepEqual(g.dataInputSchema!.schema.required, ['orderId', 'items']);
});

test('every expression is compiled once, by pointer; fn: calls are inlined', async () => {
  const g = await loadWorkflow(`${fixtures}order-with-compensation.yaml`);
  const amount = g.expressions.get('/states/1/actions/0/functionRef/arguments/amount')!;
  assert.ok(amount, [...g.expressions.keys()].join('\n'));
  assert.equal(amount.evaluate({ items: [{ price: 2, quantity: 3 }, { price: 1, quantity: 4 }] }), 10);
  const results = g.expressions.get('/states/1/actions/0/actionDataFilter/results')!;
  assert.deepEqual(results.evaluate({ receipt: { id: 'r1' } }), { id: 'r1' });
  // bare jq in an always-expression field
  const cond = (await loadWorkflow(`${fixtures}fan-out.yaml`)).expressions.get('/states/3/dataConditions/0/condition')!;
  assert.equal(cond.evaluate({ doubled: [1, 2, 3, 4] }), true);
});

test('the hash ignores formatting but not content', async () => {
  const a = await loadWorkflowText('{"id":"h","specVersion":"0.8","states":[{"name":"A","type":"inject","data":{"x":1},"end":true}]}', 'a.json');
  const b = await loadWorkflowText(['id: h', "specVersion: '0.8'", 'states:', '  - name: A', '    type: inject', '    data: {x: 1}', '    end: true'].join('\n'));
  const c = await loadWorkflowText(['id: h', "specVersion: '0.8'", 'states:', '  - name: A', '    type: inject', '    data: {x: 2}', '    end: true'].join('\n'));
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
});

test('an invalid definition is refused with its diagnostics', async () => {
  await assert.rejects(
    loadWorkflowText(['id: bad', "specVersion: '0.8'", 'states:', '  - {name: A, type: inject, data: {}, transition: B}'].join('\n'), 'bad.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof DefinitionError);
      assert.equal(err.code, 'INVALID_DEFINITION');
      assert.match(err.message, /bad\.yaml:4:51: error UNKNOWN_STATE state 'A': transition names unknown state 'B'$/m);
      assert.equal(err.diagnostics.length, 1);
      return true;
    },
  );
});

test('Mermaid: every state and edge, shapes by type, dotted error edges, terminal ends', async () => {
  const text = renderMermaid(await loadWorkflow(`${fixtures}order-with-compensation.yaml`));
  assert.equal(
    text,
    [
      'flowchart TD',
      '  start((start))',
      '  start --> s0',
      '  s0["Reserve<br/><i>operation</i>"]',
      '  s1["Charge<br/><i>operation</i>"]',
      '  s2["Ship<br/><i>operation</i>"]',
      '  s3["Release<br/><i>operation</i>"]',
      '  s0 --> s1',
      '  s0 -.->|"compensatedBy"| s3',
      '  s1 --> s2',
      '  end0((("end")))',
      '  s1 -.->|"onError CardDeclined"| end0',
      '  end1((("end")))',
      '  s2 --> end1',
      '  classDef compensation stroke-dasharray: 5 5',
      '  class s3 compensation',
      '',
    ].join('\n'),
  );
});
