/**
 * `swirl instances get | history | rerun` against a real `swirl serve` child (specs/timeline.md
 * §6): golden table and JSON output of the current state and its wait, the state-level history
 * (with and without --data), and a rerun from the state that failed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from '../host/serve-child.js';
import { cli } from './in-process.js';

const started: ChildProcess[] = [];
let dir: string;
let server: Server;
let env: Record<string, string>;

const APPROVE = `id: approve
specVersion: '0.8'
events:
  - name: Approval
    type: approval
    source: /approver
    correlation: [{ contextAttributeName: orderid, contextAttributeValue: '\${ .order }' }]
states:
  - name: Prepare
    type: inject
    data: { prepared: true }
    transition: Wait
  - name: Wait
    type: event
    onEvents:
      - eventRefs: [Approval]
    end: true
`;
// Fails in its second state unless the input says the card is fine: a rerun with new input fixes it.
const CHARGE = `id: charge
specVersion: '0.8'
states:
  - name: Price
    type: inject
    data: { price: 12 }
    transition: Check
  - name: Check
    type: switch
    dataConditions:
      - { name: declined, condition: '\${ .card == "bad" }', transition: Charge }
    defaultCondition: { transition: Charge }
  - name: Charge
    type: inject
    data: {}
    stateDataFilter:
      output: '\${ if .card == "bad" then error("card declined") else {charged: .price} end }'
    end: true
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-client-state-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'approve.yaml'), APPROVE);
  writeFileSync(join(dir, 'workflows', 'charge.yaml'), CHARGE);
  server = await startServe(dir, started, ['--api-token', 's3cret']);
  env = { SWIRL_URL: server.base, SWIRL_API_TOKEN: 's3cret' };
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function detail(id: string): Promise<any> {
  const res = await fetch(`${server.base}/api/v1/instances/${id}`, { headers: { 'dapr-api-token': 's3cret' } });
  return res.ok ? res.json() : undefined;
}
async function waitFor(id: string, ok: (d: any) => boolean): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const d = await detail(id);
    if (d && ok(d)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${id} never got there: ${JSON.stringify(await detail(id))}`);
}

/** Times and hashes change from run to run; placeholders keep the widths, so alignment is kept. */
const fix = (s: string) =>
  s
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'YYYY-MM-DDTHH:MM:SS.mmmZ')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'YYYY-MM-DDTHH:MM:SSZ')
    .replace(/definition [0-9a-f]{12}/g, 'definition <hash>')
    .replace(/ in \d+ ms/g, ' in N ms');

test('get: the state it is in and what it waits for (an event with its correlation), golden table and JSON', async () => {
  assert.equal((await cli(['instances', 'start', 'approve', '--id', 'a1', '--input', '{"order":"o-17"}'], env)).code, 0);
  await waitFor('a1', (d) => d.currentStates?.length > 0);
  const table = await cli(['instances', 'get', 'a1'], env);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(
    fix(table.stdout),
    [
      'ID:        a1',
      'Workflow:  approve (definition <hash>)',
      'Status:    RUNNING',
      'Created:   YYYY-MM-DDTHH:MM:SSZ',
      'Updated:   YYYY-MM-DDTHH:MM:SSZ',
      '',
      'STATE   TYPE    SINCE                  WAITING FOR',
      'Wait    event   YYYY-MM-DDTHH:MM:SSZ   event Approval where orderid=o-17',
      '',
    ].join('\n'),
  );
  const json = await cli(['instances', 'get', 'a1', '-o', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout);
  assert.deepStrictEqual(body.currentStates, [
    { state: 'Wait', type: 'event', enteredAt: body.currentStates[0].enteredAt, waitingFor: { kind: 'event', events: ['Approval'], correlation: [{ attribute: 'orderid', value: 'o-17' }], since: body.currentStates[0].waitingFor.since } },
  ]);
  assert.equal(body.definition.id, 'approve');
  const missing = await cli(['instances', 'get', 'nope'], env);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /^swirl instances get: /);
});

test('history: the timeline golden, with --data, and as JSON', async () => {
  const h = await cli(['instances', 'history', 'a1'], env);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(
    fix(h.stdout),
    [
      'TIME                       STATE     EVENT',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   entered (inject)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   exited in N ms',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   -> Wait',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Wait      entered (event)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Wait      waiting for event Approval where orderid=o-17',
      '',
    ].join('\n'),
  );
  const d = await cli(['instances', 'history', 'a1', '--data'], env);
  assert.equal(
    fix(d.stdout),
    [
      'TIME                       STATE     EVENT                                           DATA',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   entered (inject)                                input={"order":"o-17"}',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   exited in N ms                                  output={"order":"o-17","prepared":true}',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Prepare   -> Wait                                         -',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Wait      entered (event)                                 input={"order":"o-17","prepared":true}',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Wait      waiting for event Approval where orderid=o-17   -',
      '',
    ].join('\n'),
  );
  const json = await cli(['instances', 'history', 'a1', '-o', 'json'], env);
  const items = JSON.parse(json.stdout).items;
  assert.deepStrictEqual(
    items.map((i: any) => i.kind),
    ['stateEntered', 'stateExited', 'transition', 'stateEntered', 'eventWaiting'],
  );
});

test('rerun: from the state that failed, with a new input; refusals exit 2 (bad point) and 1 (still running)', async () => {
  assert.equal((await cli(['instances', 'start', 'charge', '--id', 'c1', '--input', '{"card":"bad"}', '--wait'], env)).code, 1);
  const h = await cli(['instances', 'history', 'c1'], env);
  assert.equal(
    fix(h.stdout),
    [
      'TIME                       STATE    EVENT',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Price    entered (inject)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Price    exited in N ms',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Price    -> Check',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Check    entered (switch)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Check    exited in N ms',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Check    -> Charge (condition declined)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   entered (inject)',
      "YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   failed in N ms: (code EXPRESSION_ERROR) stateDataFilter.output expression 'if .card == \"bad\" then error(\"card declined\") else {charged: .price} end' (/states/2/stateDataFilter/output) failed: card declined",
      '',
    ].join('\n'),
  );
  const bad = await cli(['instances', 'rerun', 'c1', '--from', 'Ship'], env);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "swirl instances rerun: instance 'c1' never entered state 'Ship': a rerun starts at a state the instance entered (one of 'Price', 'Check', 'Charge') (ERR_RERUN_POINT_INVALID, HTTP 400)\n");
  const running = await cli(['instances', 'rerun', 'a1', '--from', 'Wait'], env);
  assert.equal(running.code, 1);
  assert.match(running.stderr, /instance 'a1' is RUNNING: only a completed, failed or terminated instance can be rerun/);

  const r = await cli(['instances', 'rerun', 'c1', '--from', 'Charge', '--input', '{"card":"ok","price":12}', '--id', 'c1-again'], env);
  assert.deepEqual(r, { code: 0, stdout: 'c1-again\n', stderr: '' });
  const done = await waitFor('c1-again', (d) => d.runtimeStatus === 'COMPLETED');
  assert.deepStrictEqual(done.output, { charged: 12 });
  const again = await cli(['instances', 'history', 'c1-again'], env);
  assert.equal(
    fix(again.stdout),
    [
      'TIME                       STATE    EVENT',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   rerun from state Charge',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   entered (inject)',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   exited in N ms',
      'YYYY-MM-DDTHH:MM:SS.mmmZ   Charge   -> end',
      '',
    ].join('\n'),
  );
  const json = await cli(['instances', 'rerun', 'c1', '--from', 'Charge', '-o', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  const answer = JSON.parse(json.stdout);
  assert.equal(answer.rerunOf, 'c1');
  assert.equal(answer.fromState, 'Charge');
  // Without --input the recorded input of Charge (card "bad") runs again, and fails again.
  const replayed = await waitFor(answer.instanceID, (d) => d.runtimeStatus === 'FAILED');
  assert.match(replayed.failure.message, /card declined/);
});
