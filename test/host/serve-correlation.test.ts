/**
 * Correlation by a computed value against a real `swirl serve` (issue 18): events whose
 * definition correlates with `contextAttributeValue: '${ .orderId }'` reach exactly the waiting
 * instance that computed that value (two instances, different orderIds), found through the
 * store's wait-key index; once the instance has moved on, another event with the same key is not
 * delivered to it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
let dir: string;
let s: Server;

const ORDER = {
  id: 'order',
  version: '1.0',
  specVersion: '0.8',
  start: 'Prepare',
  events: [
    { name: 'Paid', type: 'order.paid', source: '/payments', correlation: [{ contextAttributeName: 'orderid', contextAttributeValue: '${ .orderId }' }] },
    { name: 'Shipped', type: 'order.shipped', source: '/warehouse', correlation: [{ contextAttributeName: 'orderid', contextAttributeValue: '${ .orderId }' }] },
  ],
  states: [
    { name: 'Prepare', type: 'inject', data: { stage: 'prepared' }, transition: 'AwaitPayment' },
    { name: 'AwaitPayment', type: 'event', onEvents: [{ eventRefs: ['Paid'] }], transition: 'AwaitShipping' },
    { name: 'AwaitShipping', type: 'event', onEvents: [{ eventRefs: ['Shipped'] }], end: true },
  ],
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-correlation-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'order.json'), JSON.stringify(ORDER));
  s = await startServe(dir, started);
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const event = (type: string, source: string, orderid: string, id: string, data: unknown) => ({ specversion: '1.0', id, source, type, orderid, data });
type Outcome = { delivered: string[]; kept: string[]; started: string[]; dropped?: { reason: string } };
async function post(e: unknown): Promise<{ status: number; body: { errorCode?: string; events: Outcome[] } }> {
  const r = await fetch(`${s.base}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(e) });
  return { status: r.status, body: (await r.json()) as { errorCode?: string; events: Outcome[] } };
}
async function instance(id: string): Promise<{ runtimeStatus: string; output?: unknown }> {
  return (await (await fetch(`${s.base}/api/v1/instances/${id}`)).json()) as { runtimeStatus: string; output?: unknown };
}
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
/** How many events the instance's history shows raised, by name. */
async function raised(id: string, name: string): Promise<number> {
  const h = (await (await fetch(`${s.base}/api/v1/instances/${id}/history`)).json()) as { events: { type: string; name?: string }[] };
  return h.events.filter((e) => e.type === 'EventRaised' && e.name === name).length;
}

test('an event correlated by ${ .orderId } reaches exactly the instance that computed its value, and not after it moved on', async () => {
  for (const [id, orderId] of [['order-a', 'A'], ['order-b', 'B']]) {
    const r = await fetch(`${s.base}/v1.0/workflows/dapr/order/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId }) });
    assert.equal(r.status, 202);
  }
  // RUNNING is committed by the turn that opened the wait, together with its wait key.
  await until('both instances waiting', async () => (await instance('order-a')).runtimeStatus === 'RUNNING' && (await instance('order-b')).runtimeStatus === 'RUNNING');

  const paidB = await post(event('order.paid', '/payments', 'B', 'pay-b-1', { payment: { amount: 20 } }));
  assert.equal(paidB.status, 202);
  assert.deepEqual(paidB.body.events[0].delivered, ['order-b']);
  const paidA = await post(event('order.paid', '/payments', 'A', 'pay-a-1', { payment: { amount: 10 } }));
  assert.deepEqual(paidA.body.events[0].delivered, ['order-a']);
  const nobody = await post(event('order.paid', '/payments', 'C', 'pay-c-1', { payment: { amount: 30 } }));
  assert.equal(nobody.status, 404, 'no instance computed orderId C: refused');
  assert.equal(nobody.body.errorCode, 'ERR_EVENT_NOT_DELIVERED');
  assert.equal(nobody.body.events[0].dropped?.reason, 'no-waiting-instance');

  // The turn that records the payment in A's history moves it on to AwaitShipping and replaces
  // its wait key in the same transaction: a second payment for A is not delivered to it.
  await until('order-a consumed its payment', async () => (await raised('order-a', 'Paid')) === 1);
  const again = await post(event('order.paid', '/payments', 'A', 'pay-a-2', { payment: { amount: 99 } }));
  assert.equal(again.status, 404, 'the wait for Paid ended: its key is gone');
  assert.deepEqual(again.body.events[0].delivered, []);
  assert.equal(again.body.events[0].dropped?.reason, 'no-waiting-instance');

  const shippedA = await post(event('order.shipped', '/warehouse', 'A', 'ship-a-1', { shipping: { carrier: 'ups' } }));
  assert.deepEqual(shippedA.body.events[0].delivered, ['order-a']);
  await until('order-a completed', async () => (await instance('order-a')).runtimeStatus === 'COMPLETED');
  const a = await instance('order-a');
  assert.deepEqual(a.output, { orderId: 'A', stage: 'prepared', payment: { amount: 10 }, shipping: { carrier: 'ups' } });
  assert.equal(await raised('order-a', 'Paid'), 1, 'the second payment never reached order-a');
  // B got only its own payment and still waits for its shipment.
  assert.equal(await raised('order-b', 'Paid'), 1);
  assert.equal((await instance('order-b')).runtimeStatus, 'RUNNING');
});
