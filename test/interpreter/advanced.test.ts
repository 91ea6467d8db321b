// Compensation, subflows, continueAs, produceEvents, dataInputSchema, $CONST/$SECRETS, keepActive,
// workflowExecTimeout (runBefore), stateExecTimeout, async invoke, action condition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exprFn, fakeHost, invokeFn, run } from './harness.js';

describe('compensation', () => {
  it('runs compensation states of completed states in reverse order before ending', async () => {
    const host = fakeHost({ undoA: () => ({ undone: ['A'] }), undoB: () => ({ undone: ['B'] }) });
    const r = await run(
      {
        id: 'comp',
        functions: [invokeFn('undoA'), invokeFn('undoB')],
        states: [
          { name: 'A', type: 'inject', data: { a: true }, compensatedBy: 'UndoA', transition: 'B' },
          { name: 'B', type: 'inject', data: { b: true }, compensatedBy: 'UndoB', transition: 'C' },
          { name: 'C', type: 'inject', data: { c: true }, end: { compensate: true } },
          { name: 'UndoA', type: 'operation', usedForCompensation: true, actions: [{ functionRef: 'undoA' }], end: true },
          { name: 'UndoB', type: 'operation', usedForCompensation: true, actions: [{ functionRef: 'undoB' }], end: true },
        ],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(host.calls.map((c) => c.method), ['undoB', 'undoA']);
    assert.deepEqual(r.output, { a: true, b: true, c: true, undone: ['B', 'A'] });
  });
});

describe('subflows and continueAs', () => {
  const child = { id: 'child', version: '1.0', functions: [exprFn('inc', '{n: (.n + 1)}')], states: [{ name: 'Inc', type: 'operation', actions: [{ functionRef: 'inc' }], end: true }] };

  it('runs a sync subflow (by id and version); its output is the action result', async () => {
    const r = await run(
      { id: 'parent', states: [{ name: 'Call', type: 'operation', actions: [{ subFlowRef: { workflowId: 'child', version: '1.0' }, actionDataFilter: { toStateData: '${ .child }' } }], end: true }] },
      { n: 1 },
      { others: [child] },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { n: 1, child: { n: 2 } });
  });

  it('parallel atLeast terminates the subflows of the branches it abandons', async () => {
    const slow = { id: 'slowchild', states: [{ name: 'Nap', type: 'sleep', duration: 'PT30S', end: true }] };
    const r = await run(
      {
        id: 'cancelbranch',
        functions: [exprFn('fast', '{fast: true}')],
        states: [
          {
            name: 'P',
            type: 'parallel',
            completionType: 'atLeast',
            numCompleted: 1,
            branches: [{ name: 'Slow', actions: [{ subFlowRef: 'slowchild' }] }, { name: 'Fast', actions: [{ functionRef: 'fast', sleep: { before: 'PT0.1S' } }] }],
            end: true,
          },
        ],
      },
      {},
      { others: [slow] },
    );
    assert.deepEqual(r.output, { fast: true });
    const [child] = (await r.engine.client.list({ parentInstanceId: r.instanceId })).instances;
    assert.equal((await r.engine.client.waitForCompletion(child.instanceId, { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
  });

  it('fails clearly when the subflow is unknown', async () => {
    const r = await run({ id: 'orphan', states: [{ name: 'Call', type: 'operation', actions: [{ subFlowRef: 'nobody' }], end: true }] }, {});
    assert.equal(r.failure?.code, 'SUBFLOW_NOT_FOUND');
  });

  it('an async subflow with onParentComplete terminate is terminated when the parent completes', async () => {
    const slow = { id: 'slow', states: [{ name: 'Nap', type: 'sleep', duration: 'PT30S', end: true }] };
    const r = await run({ id: 'asyncparent', states: [{ name: 'Fire', type: 'operation', actions: [{ subFlowRef: { workflowId: 'slow', invoke: 'async' } }], end: true }] }, { x: 1 }, { others: [slow] });
    assert.deepEqual(r.output, { x: 1 });
    const children = await r.engine.client.list({ parentInstanceId: r.instanceId });
    const deadline = Date.now() + 3000;
    let status: string | undefined = children.instances[0]?.runtimeStatus;
    while (status !== 'TERMINATED' && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
      status = (await r.engine.client.get(children.instances[0].instanceId))?.runtimeStatus;
    }
    assert.equal(status, 'TERMINATED');
  });

  it('continueAs starts a new execution with the data; the last run gives the output', async () => {
    const r = await run(
      {
        id: 'counter',
        functions: [exprFn('inc', '{count: (.count + 1)}')],
        states: [
          { name: 'Inc', type: 'operation', actions: [{ functionRef: 'inc' }], transition: 'Check' },
          { name: 'Check', type: 'switch', dataConditions: [{ condition: '${ .count < 3 }', end: { continueAs: { workflowId: 'counter', data: '${ {count} }' } } }], defaultCondition: { end: true } },
        ],
      },
      { count: 0 },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { count: 3 });
  });
});

describe('data, constants, secrets, events produced', () => {
  it('validates input against dataInputSchema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swirl-schema-'));
    const schemaFile = join(dir, 'order.json');
    writeFileSync(schemaFile, JSON.stringify({ type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } }));
    const def = (fail: boolean) => ({
      id: `schema-${fail}`,
      dataInputSchema: { schema: schemaFile, failOnValidationErrors: fail },
      states: [{ name: 'Ok', type: 'inject', data: { ok: true }, end: true }],
    });
    const bad = await run(def(true), { orderId: 5 });
    assert.equal(bad.runtimeStatus, 'FAILED');
    assert.equal(bad.failure?.code, 'VALIDATION_ERROR');
    assert.match(bad.failure!.message, /dataInputSchema/);
    const lenient = await run(def(false), { orderId: 5 });
    assert.deepEqual(lenient.output, { orderId: 5, ok: true });
  });

  it('exposes $CONST and $SECRETS (from the secrets option) to expressions', async () => {
    const r = await run(
      {
        id: 'consts',
        constants: { rate: 2 },
        secrets: ['API_KEY'],
        functions: [exprFn('calc', '{total: (.amount * $CONST.rate), key: $SECRETS.API_KEY}')],
        states: [{ name: 'Calc', type: 'operation', actions: [{ functionRef: 'calc' }], end: true }],
      },
      { amount: 21 },
      { secrets: { API_KEY: 'k-1' } },
    );
    assert.deepEqual(r.output, { amount: 21, total: 42, key: 'k-1' });
  });

  it('fails naming a declared secret that no source provides', async () => {
    const r = await run({ id: 'nosecret', secrets: ['NOT_THERE'], states: [{ name: 'Use', type: 'inject', data: { t: '${ $SECRETS.NOT_THERE }' }, end: true }] }, {}, { secrets: {} });
    assert.equal(r.failure?.code, 'SECRET_NOT_FOUND');
    assert.match(r.failure!.message, /'NOT_THERE'/);
  });

  it('publishes produceEvents of the end through the configured pubsub', async () => {
    const host = fakeHost({});
    const r = await run(
      {
        id: 'produce',
        events: [{ name: 'Done', type: 'order.done', kind: 'produced', metadata: { pubsub: 'bus', topic: 'orders' } }],
        states: [{ name: 'Finish', type: 'inject', data: { id: 7 }, end: { produceEvents: [{ eventRef: 'Done', data: '${ {orderId: .id} }', contextAttributes: { priority: 'high' } }] } }],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED');
    assert.equal(host.published.length, 1);
    const p = host.published[0];
    assert.equal(p.pubsub, 'bus');
    assert.equal(p.topic, 'orders');
    assert.equal(p.event.type, 'order.done');
    assert.equal(p.event.priority, 'high');
    assert.deepEqual(p.event.data, { orderId: 7 });
  });

  it('skips an action whose condition is not true and does not wait for async invocations', async () => {
    const host = fakeHost({ a: () => ({ a: 1 }), b: () => ({ b: 1 }), bg: () => ({ bg: 1 }) });
    const r = await run(
      {
        id: 'cond',
        functions: [invokeFn('a'), invokeFn('b'), invokeFn('bg')],
        states: [
          {
            name: 'Op',
            type: 'operation',
            actions: [
              { functionRef: 'a', condition: '${ .doA }' },
              { functionRef: 'b', condition: '${ .doB }' },
              { functionRef: { refName: 'bg', invoke: 'async' } },
            ],
            end: true,
          },
        ],
      },
      { doA: true, doB: false },
      { components: host as never },
    );
    assert.deepEqual(r.output, { doA: true, doB: false, a: 1 });
  });
});

describe('timeouts and keepActive', () => {
  it('stateExecTimeout raises "timeout"', async () => {
    const r = await run({ id: 'statetimeout', functions: [exprFn('f', '{}')], states: [{ name: 'Slow', type: 'operation', timeouts: { stateExecTimeout: 'PT0.05S' }, actions: [{ functionRef: 'f', sleep: { after: 'PT10S' } }], end: true }] }, {});
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'timeout');
    assert.match(r.failure!.message, /state 'Slow'.*stateExecTimeout of state 'Slow' expired/);
  });

  it('retries an action whose attempt exceeded actionExecTimeout when "timeout" is retryable', async () => {
    const host = fakeHost({ slowOnce: async (_d, n) => (n === 1 ? new Promise((res) => setTimeout(() => res({ attempt: 1 }), 1500)) : { attempt: n }) });
    const r = await run(
      {
        id: 'retrytimeout',
        errors: [{ name: 'TooSlow', code: 'timeout' }],
        retries: [{ name: 'twice', maxAttempts: 2, delay: 'PT0.05S' }],
        functions: [invokeFn('slowOnce')],
        states: [{ name: 'Call', type: 'operation', timeouts: { actionExecTimeout: 'PT0.2S' }, actions: [{ functionRef: 'slowOnce', retryRef: 'twice', retryableErrors: ['TooSlow'] }], end: true }],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { attempt: 2 });
  });

  it('workflowExecTimeout terminates the instance after running runBefore', async () => {
    const host = fakeHost({ cleanup: () => ({ cleaned: true }) });
    const r = await run(
      {
        id: 'wftimeout',
        functions: [invokeFn('cleanup')],
        timeouts: { workflowExecTimeout: { duration: 'PT0.1S', runBefore: 'Cleanup' } },
        states: [
          { name: 'Forever', type: 'sleep', duration: 'PT60S', end: true },
          { name: 'Cleanup', type: 'operation', actions: [{ functionRef: 'cleanup' }], end: true },
        ],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'TERMINATED');
    assert.deepEqual(host.calls.map((c) => c.method), ['cleanup']);
  });

  it('workflowExecTimeout with interrupt false lets the running state finish, then terminates', async () => {
    const r = await run({
      id: 'nointerrupt',
      timeouts: { workflowExecTimeout: { duration: 'PT0.05S', interrupt: false } },
      states: [
        { name: 'Nap', type: 'sleep', duration: 'PT0.2S', transition: 'After' },
        { name: 'After', type: 'inject', data: { reached: true }, end: true },
      ],
    });
    assert.equal(r.runtimeStatus, 'TERMINATED');
    assert.deepEqual(r.output, {});
  });

  it('keepActive with an event start state keeps consuming events until workflowExecTimeout', async () => {
    const r = await run(
      {
        id: 'accumulate',
        keepActive: true,
        timeouts: { workflowExecTimeout: { duration: 'PT0.4S' } },
        events: [{ name: 'Reading', type: 'reading', source: 'x' }],
        states: [{ name: 'Collect', type: 'event', onEvents: [{ eventRefs: ['Reading'], eventDataFilter: { toStateData: '${ .readings }' } }], end: true }],
      },
      {},
      { events: [{ name: 'reading', data: [1] }, { name: 'reading', data: [2] }] },
    );
    assert.equal(r.runtimeStatus, 'TERMINATED');
    assert.deepEqual(r.output, { readings: [1, 2] });
  });
});
