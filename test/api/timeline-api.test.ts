/**
 * The state-level view over HTTP (specs/timeline.md): GET /api/v1/instances/{id} with the current
 * states and what each waits for, GET …/timeline paged, and POST …/rerun — "the service was down,
 * the instance failed at state 2, run it again from state 2" against a real HTTP service that
 * answers 500 until it is fixed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;
let service: Server;
let dir: string;
/** Calls the service received, by path. */
const calls: Record<string, number> = { '/reserve': 0, '/charge': 0 };
/** The charge endpoint answers 500 while this is true ("the service is down"). */
let chargeDown = true;

const api = (port: number) => ({
  openapi: '3.0.0',
  info: { title: 'shop', version: '1' },
  servers: [{ url: `http://127.0.0.1:${port}` }],
  paths: {
    '/reserve': { post: { operationId: 'reserve', responses: { '200': { description: 'ok' } } } },
    '/charge': { post: { operationId: 'charge', responses: { '200': { description: 'ok' } } } },
    '/hold': { post: { operationId: 'hold', responses: { '200': { description: 'ok' } } } },
    '/down': { post: { operationId: 'down', responses: { '200': { description: 'ok' } } } },
  },
});

const ORDER = (port: number) => `
id: order
specVersion: '0.8'
functions:
  - { name: reserve, operation: 'http://127.0.0.1:${port}/api.json#reserve' }
  - { name: charge, operation: 'http://127.0.0.1:${port}/api.json#charge' }
states:
  - name: Reserve
    type: operation
    actions:
      - functionRef: { refName: reserve, arguments: { item: '\${ .item }' } }
        actionDataFilter: { toStateData: '\${ .reservation }' }
    transition: Charge
  - name: Charge
    type: operation
    actions:
      - functionRef: { refName: charge, arguments: { amount: '\${ .amount }', reservation: '\${ .reservation.id }' } }
        actionDataFilter: { toStateData: '\${ .payment }' }
    end: true
`;

const WAITER = `
id: waiter
specVersion: '0.8'
events:
  - name: Paid
    type: shop.paid
    source: /psp
    correlation: [{ contextAttributeName: orderid, contextAttributeValue: '\${ .orderId }' }]
states:
  - name: Nap
    type: sleep
    duration: PT1H
    transition: Wait
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Paid] }]
    end: true
`;

const PAYER = `
id: payer
specVersion: '0.8'
events:
  - name: Paid
    type: shop.paid
    source: /psp
    correlation: [{ contextAttributeName: orderid, contextAttributeValue: '\${ .orderId }' }]
states:
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Paid] }]
    end: true
`;

const FANOUT = `
id: fanout
specVersion: '0.8'
states:
  - name: Both
    type: parallel
    branches:
      - name: Left
        actions: [{ subFlowRef: payer }]
      - name: Right
        actions: [{ subFlowRef: waiter }]
    end: true
`;

/** Correlation without contextAttributeValue: the instance expects its input's field of that name. */
const BYINPUT = `
id: byinput
specVersion: '0.8'
events:
  - name: Shipped
    type: shipped
    source: test
    correlation: [{ contextAttributeName: orderid }]
states:
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Shipped] }]
    end: true
`;

// After a continueAs into another workflow, the instance runs that workflow: a rerun starts it.
const FIRST = `
id: first
specVersion: '0.8'
states:
  - name: Hand
    type: inject
    data: { stage: first }
    end: { continueAs: second }
`;
const SECOND = `
id: second
specVersion: '0.8'
states:
  - name: Check
    type: inject
    data: {}
    stateDataFilter:
      output: '\${ if .bad then error("bad input") else {ok: .stage} end }'
    end: true
`;

// An action whose call is in flight, and one between two attempts (its service answers 500).
const BUSY = (port: number) => `
id: busy
specVersion: '0.8'
errors:
  - { name: ServerError, code: '500' }
retries:
  - { name: hourly, maxAttempts: 3, delay: PT1H }
functions:
  - { name: hold, operation: 'http://127.0.0.1:${port}/api.json#hold' }
  - { name: down, operation: 'http://127.0.0.1:${port}/api.json#down' }
states:
  - name: Work
    type: parallel
    branches:
      - name: Slow
        actions: [{ name: callHold, functionRef: hold }]
      - name: Flaky
        actions: [{ name: callDown, functionRef: down, retryRef: hourly, retryableErrors: [ServerError] }]
    end: true
`;
/** Responses of /hold, answered when a test lets them go. */
const held: import('node:http').ServerResponse[] = [];

const req = (method: string, path: string, body?: unknown) =>
  app.fetch(new Request(`http://swirl.test${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
const jsonOf = async (res: Response) => (await res.json()) as any;

async function waitFor(id: string, done: (body: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const body = await jsonOf(await req('GET', `/api/v1/instances/${id}`));
    if (done(body)) return body;
    if (Date.now() > deadline) assert.fail(`instance ${id} did not get there: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

before(async () => {
  service = createServer((rq, rs) => {
    const port = (service.address() as AddressInfo).port;
    rs.setHeader('content-type', 'application/json');
    if (rq.url === '/api.json') return void rs.end(JSON.stringify(api(port)));
    const chunks: Buffer[] = [];
    rq.on('data', (c: Buffer) => chunks.push(c));
    rq.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      calls[rq.url!] = (calls[rq.url!] ?? 0) + 1;
      if (rq.url === '/reserve') return void rs.end(JSON.stringify({ id: `r-${String(body.item)}` }));
      if (rq.url === '/hold') return void held.push(rs);
      if (rq.url === '/down') {
        rs.statusCode = 500;
        return void rs.end(JSON.stringify({ error: 'down for good' }));
      }
      if (chargeDown) {
        rs.statusCode = 500;
        return void rs.end(JSON.stringify({ error: 'payment service down' }));
      }
      rs.end(JSON.stringify({ charged: body.amount, reservation: body.reservation }));
    });
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'swirl-timeline-api-'));
  mkdirSync(join(dir, 'workflows'));
  const port = (service.address() as AddressInfo).port;
  writeFileSync(join(dir, 'workflows', 'order.yaml'), ORDER(port));
  writeFileSync(join(dir, 'workflows', 'waiter.yaml'), WAITER);
  writeFileSync(join(dir, 'workflows', 'fanout.yaml'), FANOUT);
  writeFileSync(join(dir, 'workflows', 'payer.yaml'), PAYER);
  writeFileSync(join(dir, 'workflows', 'first.yaml'), FIRST);
  writeFileSync(join(dir, 'workflows', 'second.yaml'), SECOND);
  writeFileSync(join(dir, 'workflows', 'byinput.yaml'), BYINPUT);
  writeFileSync(join(dir, 'workflows', 'busy.yaml'), BUSY(port));
  host = await createHost({ store: 'memory', workflowsDir: join(dir, 'workflows'), engine: { pollIntervalMs: 20 } });
  await host.start();
  app = createApp(host);
});
after(async () => {
  for (const rs of held) rs.end('{}');
  await host.stop();
  await new Promise<void>((r) => service.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('rerun', () => {
  test('failed at state 2 because the service was down: rerun from it completes without calling state 1 again', async () => {
    const start = await req('POST', '/v1.0/workflows/dapr/order/start?instanceID=o-17', { item: 'book', amount: 12 });
    assert.equal(start.status, 202);
    const failed = await waitFor('o-17', (b) => b.runtimeStatus === 'FAILED');
    assert.match(failed.failure.message, /state 'Charge'/);
    assert.deepStrictEqual(failed.currentStates, []);
    assert.deepStrictEqual(failed.definition.id, 'order');
    assert.equal(failed.definition.hash, failed.definitionHash);
    assert.deepStrictEqual(calls, { '/reserve': 1, '/charge': 1 });

    // Not a state the instance entered, a running source, the same id: refused, saying why.
    const bad = await req('POST', '/api/v1/instances/o-17/rerun', { fromState: 'Ship' });
    assert.equal(bad.status, 400);
    assert.deepStrictEqual(await jsonOf(bad), { errorCode: 'ERR_RERUN_POINT_INVALID', message: "instance 'o-17' never entered state 'Ship': a rerun starts at a state the instance entered (one of 'Reserve', 'Charge')" });
    const same = await req('POST', '/api/v1/instances/o-17/rerun', { fromState: 'Charge', instanceID: 'o-17' });
    assert.equal(same.status, 400);
    assert.equal((await jsonOf(same)).errorCode, 'ERR_MALFORMED_REQUEST');
    const missing = await req('POST', '/api/v1/instances/o-17/rerun', {});
    assert.deepStrictEqual(await jsonOf(missing), { errorCode: 'ERR_BAD_REQUEST', message: 'fromState (a state name) is required' });
    const unknown = await req('POST', '/api/v1/instances/nope/rerun', { fromState: 'Charge' });
    assert.equal(unknown.status, 404);

    chargeDown = false;
    const rerun = await req('POST', '/api/v1/instances/o-17/rerun', { fromState: 'Charge', instanceID: 'o-17-rerun' });
    assert.equal(rerun.status, 202);
    assert.deepStrictEqual(await jsonOf(rerun), { instanceID: 'o-17-rerun', rerunOf: 'o-17', fromState: 'Charge' });
    const done = await waitFor('o-17-rerun', (b) => b.runtimeStatus === 'COMPLETED');
    // The recorded input of Charge (the reservation state 1 made) is what state 2 ran with again.
    assert.deepStrictEqual(done.output, { item: 'book', amount: 12, reservation: { id: 'r-book' }, payment: { charged: 12, reservation: 'r-book' } });
    assert.equal(done.definitionHash, failed.definitionHash);
    assert.deepStrictEqual(calls, { '/reserve': 1, '/charge': 2 });

    const t = await jsonOf(await req('GET', '/api/v1/instances/o-17-rerun/timeline'));
    assert.deepStrictEqual(
      t.items.map((i: any) => `${i.kind}${i.state ? ` ${i.state}` : ''}${i.fromState ? ` ${i.fromState}` : ''}`),
      ['rerunStarted Charge', 'stateEntered Charge', 'actionStarted Charge', 'actionCompleted Charge', 'stateExited Charge', 'transition'],
    );

    // A new input replaces the recorded one.
    const again = await req('POST', '/api/v1/instances/o-17/rerun', { fromState: 'Charge', input: { amount: 5, reservation: { id: 'r-x' } } });
    const id = (await jsonOf(again)).instanceID as string;
    assert.notEqual(id, 'o-17');
    const out = await waitFor(id, (b) => b.runtimeStatus === 'COMPLETED');
    assert.deepStrictEqual(out.output, { amount: 5, reservation: { id: 'r-x' }, payment: { charged: 5, reservation: 'r-x' } });
    assert.deepStrictEqual(calls, { '/reserve': 1, '/charge': 3 });
  });
});

describe('rerun after a continueAs into another workflow', () => {
  test('starts the workflow the execution ran (the continueAs target), at its state', async () => {
    await req('POST', '/v1.0/workflows/dapr/first/start?instanceID=ca-1', { bad: true });
    const failed = await waitFor('ca-1', (b) => b.runtimeStatus === 'FAILED');
    assert.match(failed.failure.message, /state 'Check': .*bad input/);
    const r = await req('POST', '/api/v1/instances/ca-1/rerun', { fromState: 'Check', instanceID: 'ca-1-rerun', input: { stage: 'first', bad: false } });
    assert.equal(r.status, 202, await r.clone().text());
    const done = await waitFor('ca-1-rerun', (b) => b.runtimeStatus === 'COMPLETED');
    assert.equal(done.workflowName, 'second');
    assert.deepStrictEqual(done.output, { ok: 'first' });
  });
});

describe('current states and the timeline', () => {
  test('a sleep says until when; then an event wait names the event and its correlation', async () => {
    await req('POST', '/v1.0/workflows/dapr/waiter/start?instanceID=w-1', { orderId: 'o-9' });
    const napping = await waitFor('w-1', (b) => b.currentStates?.length > 0);
    assert.equal(napping.currentStates.length, 1);
    const s = napping.currentStates[0];
    assert.equal(s.state, 'Nap');
    assert.equal(s.type, 'sleep');
    assert.equal(s.waitingFor.kind, 'timer');
    assert.equal(Date.parse(s.waitingFor.until) - Date.parse(s.enteredAt), 3_600_000);
    assert.deepStrictEqual(napping.children, []);

    await req('POST', '/v1.0/workflows/dapr/payer/start?instanceID=p-1', { orderId: 'o-9' });
    const waiting = await waitFor('p-1', (b) => b.currentStates?.length > 0);
    assert.deepStrictEqual(waiting.currentStates, [
      {
        state: 'Wait',
        type: 'event',
        enteredAt: waiting.currentStates[0].enteredAt,
        waitingFor: { kind: 'event', events: ['Paid'], correlation: [{ attribute: 'orderid', value: 'o-9' }], since: waiting.currentStates[0].waitingFor.since },
      },
    ]);
  });

  test('a correlation without contextAttributeValue shows the value the wait expects: the input\'s field of that name', async () => {
    await req('POST', '/v1.0/workflows/dapr/byinput/start?instanceID=b-1', { orderid: 'o-42' });
    const waiting = await waitFor('b-1', (b) => b.currentStates?.length > 0);
    assert.deepStrictEqual(waiting.currentStates[0].waitingFor.correlation, [{ attribute: 'orderid', value: 'o-42' }]);
    const tl = await jsonOf(await req('GET', '/api/v1/instances/b-1/timeline'));
    assert.deepStrictEqual(tl.items.find((i: any) => i.kind === 'eventWaiting').correlation, [{ attribute: 'orderid', value: 'o-42' }]);
    // That is the value that routes an event to it: a CloudEvent with orderid o-42 completes it.
    const sent = await app.fetch(new Request('http://swirl.test/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', id: 'e-42', type: 'shipped', source: 'test', orderid: 'o-42', data: { ok: true } }) }));
    assert.ok(sent.status < 300, await sent.text());
    await waitFor('b-1', (b) => b.runtimeStatus === 'COMPLETED');
  });

  test('inside a parallel state: one current entry per branch, each with its wait (an event, a child instance)', async () => {
    const started = await req('POST', '/v1.0/workflows/dapr/fanout/start?instanceID=f-1', { orderId: 'o-1' });
    assert.equal(started.status, 202, await started.clone().text());
    const body = await waitFor('f-1', (b) => b.currentStates?.length === 2 && b.children?.length === 2);
    const [left, right] = body.currentStates;
    assert.equal(left.state, 'Both');
    assert.equal(left.type, 'parallel');
    assert.equal(left.branch, 'Left');
    assert.equal(left.waitingFor.kind, 'subflow');
    assert.equal(left.waitingFor.workflow, 'payer');
    assert.equal(right.branch, 'Right');
    assert.equal(right.waitingFor.workflow, 'waiter');
    const kids = new Map(body.children.map((c: any) => [c.instanceID, c.workflowName]));
    assert.equal(kids.get(left.waitingFor.instanceId), 'payer');
    assert.equal(kids.get(right.waitingFor.instanceId), 'waiter');
    const child = await waitFor(left.waitingFor.instanceId, (b) => b.currentStates?.length > 0);
    assert.equal(child.parentInstanceID, 'f-1');
    assert.equal(child.currentStates[0].waitingFor.kind, 'event');
    assert.equal(child.currentStates[0].waitingFor.correlation[0].value, 'o-1');
  });

  test('an action in flight waits for its activity; one between attempts waits for its retry, until when', async () => {
    const started = await req('POST', '/v1.0/workflows/dapr/busy/start?instanceID=b-1', {});
    assert.equal(started.status, 202, await started.clone().text());
    const body = await waitFor('b-1', (b) => b.currentStates?.length === 2 && b.currentStates.some((c: any) => c.waitingFor?.kind === 'retry') && held.length === 1);
    const slow = body.currentStates.find((c: any) => c.branch === 'Slow');
    const flaky = body.currentStates.find((c: any) => c.branch === 'Flaky');
    assert.deepStrictEqual(slow, { state: 'Work', type: 'parallel', enteredAt: slow.enteredAt, branch: 'Slow', waitingFor: { kind: 'activity', function: 'hold', attempt: 1, since: slow.waitingFor.since } });
    assert.deepStrictEqual(flaky, { state: 'Work', type: 'parallel', enteredAt: flaky.enteredAt, branch: 'Flaky', waitingFor: { kind: 'retry', function: 'down', attempt: 2, until: flaky.waitingFor.until } });
    const failedAt = (await jsonOf(await req('GET', '/api/v1/instances/b-1/timeline'))).items.find((i: any) => i.kind === 'actionFailed' && i.action === 'callDown');
    assert.ok(failedAt, 'the failed first attempt is in the timeline');
    assert.equal(Date.parse(flaky.waitingFor.until) - Date.parse(failedAt.time), 3_600_000, 'the retry delay after the failed attempt');
    assert.equal((await req('POST', '/v1.0/workflows/dapr/b-1/terminate')).status, 202);
  });

  test('the timeline is paged with limit and pageToken; bad paging is 400; the raw history stays', async () => {
    const all = await jsonOf(await req('GET', '/api/v1/instances/o-17/timeline'));
    assert.ok(all.items.length >= 8, JSON.stringify(all));
    assert.equal(all.nextPageToken, undefined);
    const first = await jsonOf(await req('GET', '/api/v1/instances/o-17/timeline?limit=3'));
    assert.deepStrictEqual(first.items, all.items.slice(0, 3));
    const second = await jsonOf(await req('GET', `/api/v1/instances/o-17/timeline?limit=3&pageToken=${first.nextPageToken}`));
    assert.deepStrictEqual(second.items, all.items.slice(3, 6));
    assert.deepStrictEqual(all.items[0], { seq: 0, time: all.items[0].time, kind: 'stateEntered', state: 'Reserve', type: 'operation', input: { item: 'book', amount: 12 } });
    const bad = await req('GET', '/api/v1/instances/o-17/timeline?limit=0');
    assert.deepStrictEqual(await jsonOf(bad), { errorCode: 'ERR_BAD_REQUEST', message: "limit must be an integer from 1 to 1000, not '0'" });
    assert.equal((await req('GET', '/api/v1/instances/o-17/timeline?pageToken=x')).status, 400);
    assert.equal((await req('GET', '/api/v1/instances/nope/timeline')).status, 404);
    const raw = await jsonOf(await req('GET', '/api/v1/instances/o-17/history'));
    assert.ok(raw.events.some((e: any) => e.type === 'ExecutionStarted'));
  });
});
