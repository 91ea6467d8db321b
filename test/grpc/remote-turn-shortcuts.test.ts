/**
 * App orchestrations take the local path's claim-free completion (specs/grpc.md "Per-turn
 * cost"): a remote activity's result commits with the instance's next turn without a claim of the
 * instance, retiring the activity's task in the same transaction. Driven by the real @dapr/dapr 3.18 WorkflowRuntime against Swirl's gRPC sidecar
 * in this process (SQLite), with the store's calls counted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprWorkflowClient, WorkflowRuntime, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { createHost, type SwirlHost } from '../../src/host/host.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/grpc/server.js';
import { openStore } from '../../src/store/index.js';
import type { Store, TurnCommit } from '../../src/store/types.js';

/** How often each activity input ran. */
const runs = new Map<string, number>();
const hello = async (_ctx: WorkflowActivityContext, who: string): Promise<string> => {
  runs.set(who, (runs.get(who) ?? 0) + 1);
  return `Hello ${who}!`;
};
const inc = async (_ctx: WorkflowActivityContext, x: number): Promise<number> => x + 1;

/** One activity, then it waits for an event (longer than the activity's lease). */
const greetThenWait = async function* (ctx: WorkflowContext, who: string): any {
  const greeting = yield ctx.callActivity(hello, who);
  const answer = yield ctx.waitForExternalEvent('go');
  return [greeting, answer];
};

const chain = async function* (ctx: WorkflowContext, x: number): any {
  let v = x;
  for (let i = 0; i < 3; i++) v = yield ctx.callActivity(inc, v);
  return v;
};

/** Store calls by kind while `counting`; commits by their shortcuts. */
const calls = new Map<string, number>();
let counting = false;
function count(key: string): void {
  if (counting) calls.set(key, (calls.get(key) ?? 0) + 1);
}
function counted(store: Store): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (key === 'commitTurn') {
          const c = args[0] as TurnCommit;
          count(`commitTurn${c.claimless ? ' claim-free' : ''}${c.taskLease ? ' pre-leasing' : ''}${c.completedTasks?.length ? ' retiring a task' : ''}`);
        } else if (key === 'claimActivities' || key === 'claimOrchestrations') {
          // Only claims that handed work over: idle wake-up claims find nothing.
          void (r as Promise<unknown[]>).then((items) => items.length > 0 && count(String(key))).catch(() => undefined);
        } else if (key === 'completeActivity') count(String(key));
        return r;
      };
    },
  });
}

let dir: string;
let host: SwirlHost;
let server: RunningGrpcServer;
let runtime: WorkflowRuntime;
let client: DaprWorkflowClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-shortcuts-'));
  const store = counted(await openStore(`sqlite:${join(dir, 'swirl.db')}`));
  // A short lease: a task left leased after its result was recorded would be handed out again soon.
  host = await createHost({ store, engine: { leaseMs: 300 } });
  await host.start();
  server = await startGrpcServer(host, { port: 0, host: '127.0.0.1' });
  runtime = new WorkflowRuntime({ daprHost: '127.0.0.1', daprPort: String(server.port) }).registerWorkflow(greetThenWait).registerWorkflow(chain).registerActivity(hello).registerActivity(inc);
  await runtime.start();
  client = new DaprWorkflowClient({ daprHost: '127.0.0.1', daprPort: String(server.port) });
});

after(async () => {
  await client?.stop();
  await runtime?.stop().catch(() => undefined);
  await server?.close();
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('app orchestrations over gRPC take the store shortcuts', () => {
  test("an app activity's result retires its task with the next turn: it runs once even when the instance waits past the task's lease", async () => {
    const id = await client.scheduleNewWorkflow(greetThenWait, 'ada');
    await client.waitForWorkflowStart(id, false, 30);
    for (let i = 0; i < 300 && runs.get('ada') === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    // Several task leases (300 ms) pass while the instance waits for 'go'.
    await new Promise((r) => setTimeout(r, 1500));
    await client.raiseEvent(id, 'go', 'yes');
    const state = await client.waitForWorkflowCompletion(id, true, 30);
    assert.equal(state?.serializedOutput, JSON.stringify(['Hello ada!', 'yes']));
    assert.equal(runs.get('ada'), 1);
    const history = await host.engine.client.history(id);
    assert.deepEqual(
      history.filter((e) => e.type === 'TaskScheduled' || e.type === 'TaskCompleted').map((e) => e.type),
      ['TaskScheduled', 'TaskCompleted'],
    );
  });

  test('a 3-step chain is 4 commits: the first turn claimed with the create, every result claim-free with the next turn; only the activities are claimed', async () => {
    // Learn the names (the first run of an app orchestration) before counting.
    await client.waitForWorkflowCompletion(await client.scheduleNewWorkflow(chain, 1), false, 30);
    calls.clear();
    counting = true;
    const id = await host.engine.client.start('chain', 10);
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
    counting = false;
    assert.equal(done.output, 13);
    assert.deepEqual(Object.fromEntries([...calls].sort()), {
      claimActivities: 3,
      commitTurn: 1,
      'commitTurn claim-free retiring a task': 3,
    });
  });
});
