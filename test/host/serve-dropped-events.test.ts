/**
 * No event is accepted and silently dropped (issue 18), against a real `swirl serve`: an event
 * that reaches nothing is refused (404 ERR_EVENT_NOT_DELIVERED with the reason per event) and not
 * recorded as routed, so the sender's retry is delivered once the instance waits; raiseEvent on a
 * finished instance is 409 ERR_INSTANCE_FINISHED; and every dropped or refused event shows in
 * /metrics (`swirl_events_dropped_total{reason=…}`) and in the server's stderr log with its reason.
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
  start: 'AwaitPayment',
  events: [{ name: 'Paid', type: 'order.paid', source: '/payments', correlation: [{ contextAttributeName: 'orderid', contextAttributeValue: '${ .orderId }' }] }],
  states: [{ name: 'AwaitPayment', type: 'switch', eventConditions: [{ eventRef: 'Paid', end: true }], defaultCondition: { end: true } }],
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-dropped-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'order.json'), JSON.stringify(ORDER));
  s = await startServe(dir, started);
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Outcome = { id: string; delivered: string[]; dropped?: { reason: string; message: string } };
async function post(body: unknown): Promise<{ status: number; body: { errorCode?: string; message?: string; events: Outcome[] } }> {
  const r = await fetch(`${s.base}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as { errorCode?: string; message?: string; events: Outcome[] } };
}
async function status(id: string): Promise<string> {
  return ((await (await fetch(`${s.base}/api/v1/instances/${id}`)).json()) as { runtimeStatus: string }).runtimeStatus;
}
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
async function dropped(reason: string): Promise<number> {
  const text = await (await fetch(`${s.base}/metrics`)).text();
  const m = new RegExp(`^swirl_events_dropped_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `no swirl_events_dropped_total{reason="${reason}"} in /metrics`);
  return Number(m[1]);
}

test('an early event for an API-started instance is refused, not dropped; the retry is delivered once it waits', async () => {
  const early = { specversion: '1.0', id: 'pay-z-1', source: '/payments', type: 'order.paid', orderid: 'Z', data: { amount: 5 } };
  const first = await post(early);
  assert.equal(first.status, 404);
  assert.equal(first.body.errorCode, 'ERR_EVENT_NOT_DELIVERED');
  assert.match(first.body.message!, /event 'pay-z-1' was not delivered: no instance of 'order' waits for it with its correlation values/);
  assert.equal(first.body.events[0].dropped?.reason, 'no-waiting-instance');
  assert.equal(await dropped('no-waiting-instance'), 1);
  assert.match(s.stderr(), /"level":"warn".*event 'pay-z-1' from '\/payments' \(type 'order.paid'\) dropped \(no-waiting-instance\): no instance of 'order' waits/);

  const r = await fetch(`${s.base}/v1.0/workflows/dapr/order/start?instanceID=order-z`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 'Z' }) });
  assert.equal(r.status, 202);
  await until('order-z waiting', async () => (await status('order-z')) === 'RUNNING');
  // The same event again (the sender's retry): not a duplicate of the refused copy, delivered now.
  const retry = await post(early);
  assert.equal(retry.status, 202);
  assert.deepEqual(retry.body.events[0].delivered, ['order-z']);
  await until('order-z completed', async () => (await status('order-z')) === 'COMPLETED');

  // raiseEvent on the finished instance: an explicit refusal, logged and counted.
  const raise = await fetch(`${s.base}/v1.0/workflows/dapr/order-z/raiseEvent/Paid`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(raise.status, 409);
  const body = (await raise.json()) as { errorCode: string; message: string };
  assert.equal(body.errorCode, 'ERR_INSTANCE_FINISHED');
  assert.equal(body.message, "instance 'order-z' is COMPLETED: event 'Paid' cannot reach it");
  assert.equal(await dropped('instance-finished'), 1);
  assert.match(s.stderr(), /dropped \(instance-finished\): instance 'order-z' is COMPLETED/);
});

test('an event no workflow consumes, and an invalid one, are refused and counted with their reasons', async () => {
  const stray = await post({ specversion: '1.0', id: 'x-1', source: '/elsewhere', type: 'nobody.listens', data: {} });
  assert.equal(stray.status, 404);
  assert.equal(stray.body.events[0].dropped?.reason, 'no-workflow');
  assert.equal(await dropped('no-workflow'), 1);
  assert.match(s.stderr(), /event 'x-1' from '\/elsewhere' \(type 'nobody.listens'\) dropped \(no-workflow\): no registered workflow consumes events of type 'nobody.listens'/);
  const invalid = await post({ specversion: '1.0', source: '/payments', type: 'order.paid' });
  assert.equal(invalid.status, 400);
  assert.equal(await dropped('invalid'), 1);
  assert.match(s.stderr(), /an event dropped \(invalid\): invalid CloudEvent: 'id' must be a non-empty string/);
});
