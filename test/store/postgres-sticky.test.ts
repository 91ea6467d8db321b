/**
 * @module test/store/postgres-sticky
 * Sticky claims on PostgreSQL (migration 9, specs/store-postgres.md): two real stores — two nodes
 * — on one schema. Work a node's turn created (the instance's next messages, the tasks it
 * scheduled) is claimed by that node while it claims; the other node takes it only once it has
 * been ready for the stickiness window (2 s), so nothing starves and a dead node's work moves on
 * (after its lease expires plus the window); a node that closes hands its work over at once.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { createRequest, task, turnFor } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason } from './postgres-fixture.js';

const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const T = 10_000;
const WINDOW = 2000;

/** Nodes A and B on one fresh schema (default stickiness window). */
async function nodes(label: string): Promise<[PostgresStore, PostgresStore]> {
  const url = freshPgUrl(label);
  const a = await openPostgresStore({ url, poolSize: 4 });
  const b = await openPostgresStore({ url, poolSize: 4 });
  open.push(a, b);
  return [a, b];
}

/** On node `a`: creates `id` and commits its first turn there, scheduling task 1 (visible at T). */
async function turnOnA(a: PostgresStore, id: string): Promise<void> {
  await a.createInstance(createRequest(id, T));
  const [item] = await a.claimOrchestrations({ leaseId: `A-${id}`, now: T, leaseMs: 30_000, limit: 1 });
  assert.equal(item?.instance.instanceId, id);
  await a.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [{ ...task(id, 1, T), executionId: item.instance.executionId }] }));
}

const claimTasks = (s: PostgresStore, lease: string, now: number, leaseMs = 30_000) => s.claimActivities({ leaseId: lease, now, leaseMs, limit: 10 });
const claimInstances = (s: PostgresStore, lease: string, now: number) => s.claimOrchestrations({ leaseId: lease, now, leaseMs: 30_000, limit: 10 });

describe('PostgreSQL sticky claims (two nodes, one schema)', { skip: pgSkipReason }, () => {
  it("a node's tasks are claimed by it; the other node takes them only after the window", async () => {
    const [a, b] = await nodes('sticky_tasks');
    await turnOnA(a, 'x');
    assert.deepEqual(await claimTasks(b, 'B1', T), [], 'B leaves A’s fresh task to A');
    assert.deepEqual(await claimTasks(b, 'B2', T + WINDOW - 1), [], 'still within the window');
    const [t] = await claimTasks(a, 'A1', T);
    assert.equal(t?.instanceId, 'x', 'A takes its own task at once');
    await turnOnA(a, 'z');
    const late = await claimTasks(b, 'B3', T + WINDOW);
    assert.deepEqual(late.map((x) => x.instanceId), ['z'], 'once it has waited the window, anyone takes it (no starvation)');
  });

  it("an instance's next messages go to the node that ran its last turn; the other after the window", async () => {
    const [a, b] = await nodes('sticky_instances');
    await turnOnA(a, 'x');
    await b.enqueueMessages([{ instanceId: 'x', data: 'event', visibleAt: T + 100 }]);
    assert.deepEqual(await claimInstances(b, 'B1', T + 100), [], 'B leaves it to A');
    const [mine] = await claimInstances(a, 'A1', T + 100);
    assert.deepEqual(mine?.messages.map((m) => m.data), ['event'], 'A claims it at once');
    await a.commitTurn(turnFor(mine, 'RUNNING', 1));
    await b.enqueueMessages([{ instanceId: 'x', data: 'later', visibleAt: T + 200 }]);
    const [taken] = await claimInstances(b, 'B2', T + 200 + WINDOW);
    assert.deepEqual(taken?.messages.map((m) => m.data), ['later'], 'B takes it once it waited the window');
    // B ran the last turn now: the instance is B's.
    await b.commitTurn(turnFor(taken, 'RUNNING', 1));
    await a.enqueueMessages([{ instanceId: 'x', data: 'again', visibleAt: T + 5000 }]);
    assert.deepEqual(await claimInstances(a, 'A2', T + 5000), []);
    assert.equal((await claimInstances(b, 'B3', T + 5000))[0]?.instance.instanceId, 'x');
  });

  it('work of no node (a fresh start) is anyone’s at once', async () => {
    const [a, b] = await nodes('sticky_fresh');
    await a.createInstance(createRequest('s', T));
    assert.equal((await claimInstances(b, 'B', T))[0]?.instance.instanceId, 's');
  });

  it('a dead node’s leased task moves on after its lease expires plus the window', async () => {
    const [a, b] = await nodes('sticky_dead');
    await turnOnA(a, 'x');
    const [held] = await claimTasks(a, 'A1', T, 500); // A takes it, then dies holding it (no close)
    assert.equal(held?.instanceId, 'x');
    assert.deepEqual(await claimTasks(b, 'B1', T + 500), [], 'lease just expired: still within the window');
    assert.deepEqual(await claimTasks(b, 'B2', T + 500 + WINDOW - 1), []);
    const [taken] = await claimTasks(b, 'B3', T + 500 + WINDOW);
    assert.equal(taken?.instanceId, 'x');
    assert.equal(taken?.dequeueCount, 2);
  });

  it('a node that closes hands its queued work over at once', async () => {
    const [a, b] = await nodes('sticky_close');
    await turnOnA(a, 'x');
    await a.enqueueMessages([{ instanceId: 'x', data: 'event', visibleAt: T }]);
    await a.close();
    assert.equal((await claimTasks(b, 'B1', T))[0]?.instanceId, 'x');
    assert.equal((await claimInstances(b, 'B2', T))[0]?.instance.instanceId, 'x');
  });

  it('stickyClaimsMs: 0 turns it off (any node at once)', async () => {
    const url = freshPgUrl('sticky_off');
    const a = await openPostgresStore({ url, poolSize: 4, stickyClaimsMs: 0 });
    const b = await openPostgresStore({ url, poolSize: 4, stickyClaimsMs: 0 });
    open.push(a, b);
    await turnOnA(a, 'x');
    assert.equal((await claimTasks(b, 'B', T))[0]?.instanceId, 'x');
  });
});
