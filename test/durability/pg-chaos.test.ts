/**
 * @module test/durability/pg-chaos.test
 * Issue 10's chaos test: three `swirl serve` nodes on one PostgreSQL (a cluster of the test's own,
 * see pg-cluster.ts), a load driver starting ≥ 2,000 Serverless Workflow instances — foreach of REST
 * calls, a parallel state with a slept REST call and a subflow (whose child sleeps on a durable
 * timer), an event wait — through whichever node is up, while a random node is kill -9'd every few
 * seconds and restarted, and PostgreSQL itself is restarted once mid-run. Afterwards every
 * acknowledged instance is COMPLETED with the right output, every history (parents and children)
 * passes the audit (no lost or duplicated transition), and the loopback stub saw every logical call,
 * repeated only as redeliveries under the same idempotency key. Node 2's clock runs 5 s ahead
 * (libfaketime), longer than the 3 s lease: leases and message visibility are judged by
 * PostgreSQL's clock, so it steals nothing and misses nothing.
 *
 * SWIRL_PG_CHAOS_INSTANCES changes the instance count (default 2,000).
 */

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { startServe, type Server } from '../host/serve-child.js';
import { historyAudit } from './history-audit.js';
import { createPgCluster, pgClusterSkipReason, type PgCluster } from './pg-cluster.js';

const INSTANCES = Number(process.env.SWIRL_PG_CHAOS_INSTANCES ?? 2000);
const NODES = 3;
const LEASE = 'PT3S';
/** How long the kills go on after the first start. */
const CHAOS_MS = 45_000;
const ITEMS = [0, 1, 2];
/** libfaketime (Debian's `faketime`, installed by .ci/run): node 2's clock runs SKEW_S seconds ahead. */
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const SKEW_S = 5;
const skewed = existsSync(FAKETIME_LIB);

const parentWorkflow = (stubPort: number): string => `
id: pgchaos
specVersion: '0.8'
functions:
  - { name: touch, operation: 'http://127.0.0.1:${stubPort}/api.json#touch' }
events:
  - { name: Go, type: go, source: /driver }
states:
  - name: Fan
    type: foreach
    inputCollection: \${ .items }
    iterationParam: item
    outputCollection: \${ .touched }
    actions:
      - functionRef: { refName: touch, arguments: { key: '\${ .id + ":" + (.item | tostring) }' } }
    transition: Both
  - name: Both
    type: parallel
    branches:
      - name: nap
        actions:
          - functionRef: { refName: touch, arguments: { key: '\${ .id + ":nap" }' } }
            sleep: { before: PT1S }
      - name: child
        actions:
          - subFlowRef: pgchild
    transition: Wait
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Go], eventDataFilter: { data: '\${ .v }', toStateData: '\${ .go }' } }]
    stateDataFilter: { output: '\${ {id, touched, napped: .key, childDone, go} }' }
    end: true
`;

const CHILD = `
id: pgchild
specVersion: '0.8'
states:
  - name: Mark
    type: inject
    data: { childDone: true }
    transition: Nap
  - name: Nap
    type: sleep
    duration: PT1S
    end: true
`;

const expected = (id: string) => ({
  id,
  touched: ITEMS.map((i) => ({ key: `${id}:${i}` })),
  napped: `${id}:nap`,
  childDone: true,
  go: id,
});

/** The loopback service: an OpenAPI document and POST /touch, which echoes the key it got. */
function startStub(calls: Map<string, string[]>): Promise<HttpServer> {
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/api.json') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          openapi: '3.0.3',
          info: { title: 'touch', version: '1' },
          servers: [{ url: `http://127.0.0.1:${port}` }],
          paths: { '/touch': { post: { operationId: 'touch', requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: { '200': { description: 'ok' } } } } },
        }),
      );
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const { key } = JSON.parse(body) as { key: string };
      calls.set(key, [...(calls.get(key) ?? []), String(req.headers['idempotency-key'])]);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ key }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('chaos on PostgreSQL: three nodes, kill -9 and a PostgreSQL restart under load', { skip: pgClusterSkipReason }, () => {
  let cluster: PgCluster;
  let stub: HttpServer;
  let dir: string;
  const started: ChildProcess[] = [];
  const calls = new Map<string, string[]>();

  before(async () => {
    cluster = await createPgCluster('swirlchaos');
    stub = await startStub(calls);
    dir = mkdtempSync(join(tmpdir(), 'swirl-pg-chaos-'));
    mkdirSync(join(dir, 'workflows'));
    writeFileSync(join(dir, 'workflows', 'pgchaos.yaml'), parentWorkflow((stub.address() as AddressInfo).port));
    writeFileSync(join(dir, 'workflows', 'pgchild.yaml'), CHILD);
  });

  after(() => {
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    stub?.close();
    cluster?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${INSTANCES} instances: every acknowledged one completes once, nothing lost or duplicated`, { timeout: 600_000 }, async (t) => {
    const store = `${cluster.url}?schema=chaos`;
    const skewEnv = { ...process.env, LD_PRELOAD: FAKETIME_LIB, FAKETIME: `+${SKEW_S}s` };
    const startNode = (i: number): Promise<Server> =>
      startServe(dir, started, ['--store', store, '--worker-id', `node${i}`, '--lease', LEASE], undefined, i === 2 && skewed ? skewEnv : process.env);
    const nodes: (Server | undefined)[] = await Promise.all(Array.from({ length: NODES }, (_, i) => startNode(i)));
    const log: string[] = [skewed ? `node2's clock runs ${SKEW_S} s ahead` : `no clock skew: ${FAKETIME_LIB} is missing (apt-get install faketime)`];
    const t0 = Date.now();
    const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;

    /** One request through any live node, retried on another while nodes die or PG restarts. */
    const send = async (path: string, body: unknown, ok: (status: number) => boolean): Promise<number> => {
      for (let attempt = 0; ; attempt++) {
        const live = nodes.filter((n): n is Server => n !== undefined);
        const node = live[Math.floor(Math.random() * live.length)];
        if (node !== undefined) {
          try {
            const res = await fetch(node.base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
            await res.text();
            if (ok(res.status)) return res.status;
          } catch {
            // node killed mid-request, or PostgreSQL restarting: try again
          }
        }
        if (attempt > 400) assert.fail(`POST ${path} never succeeded`);
        await sleep(100);
      }
    };

    let stopChaos = false;
    const chaos = (async () => {
      let pgRestarted = false;
      while (!stopChaos) {
        await sleep(2500 + Math.random() * 2500);
        if (stopChaos) break;
        if (!pgRestarted && Date.now() - t0 > CHAOS_MS / 2) {
          pgRestarted = true;
          const s = Date.now();
          cluster.restart();
          log.push(`${at()} PostgreSQL restarted (${Date.now() - s} ms)`);
          continue;
        }
        const i = Math.floor(Math.random() * NODES);
        const victim = nodes[i];
        if (victim === undefined) continue;
        nodes[i] = undefined;
        victim.proc.kill('SIGKILL');
        await victim.exited;
        log.push(`${at()} node${i} killed`);
        nodes[i] = await startNode(i);
        log.push(`${at()} node${i} restarted`);
      }
    })();

    // The driver: start every instance, then raise its Go event; 16 at a time.
    const ids = Array.from({ length: INSTANCES }, (_, n) => `c-${n}`);
    const acknowledged: string[] = [];
    let next = 0;
    const drive = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++];
        // A retried start of an instance that exists already is a 409/500-class refusal: the first
        // attempt was committed, which is an acknowledgement too (the GET below tells).
        await send(`/v1.0/workflows/dapr/pgchaos/start?instanceID=${id}`, { id, items: ITEMS }, (s) => s === 202 || s === 409 || s === 500);
        acknowledged.push(id);
        // 409 ERR_INSTANCE_FINISHED: an earlier attempt was delivered (the answer was lost with its
        // node) and the instance, which cannot finish without Go, has finished.
        await send(`/v1.0/workflows/dapr/${id}/raiseEvent/Go`, { v: id }, (s) => s === 202 || s === 409);
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, drive));
      log.push(`${at()} all ${INSTANCES} started and raised`);
      while (Date.now() - t0 < CHAOS_MS) await sleep(500);
    } finally {
      stopChaos = true;
      await chaos;
    }
    log.push(`${at()} chaos over`);

    const control: Engine = await createEngine({ store });
    const wanted = new Set(acknowledged);
    try {
      const deadline = Date.now() + 300_000;
      let completed = 0;
      for (;;) {
        completed = 0;
        let token: string | undefined;
        do {
          const page = await control.client.list({ statuses: ['COMPLETED'] }, { pageSize: 1000, ...(token !== undefined ? { pageToken: token } : {}) });
          completed += page.instances.filter((m) => wanted.has(m.instanceId)).length;
          token = page.nextPageToken;
        } while (token !== undefined);
        if (completed >= INSTANCES || Date.now() > deadline) break;
        await sleep(1000);
      }
      log.push(`${at()} ${completed} of ${INSTANCES} completed`);
      t.diagnostic(log.join('\n'));

      const problems: string[] = [];
      for (const id of acknowledged) {
        const m = await control.client.get(id);
        if (m === undefined || m.runtimeStatus !== 'COMPLETED') {
          problems.push(`${id}: ${m?.runtimeStatus ?? 'missing'}`);
          continue;
        }
        try {
          assert.deepEqual(m.output, expected(id));
        } catch {
          problems.push(`${id}: output ${JSON.stringify(m.output)}`);
        }
        problems.push(...historyAudit(id, await control.store.loadHistory(id)));
        const children = (await control.client.list({ parentInstanceId: id }, { pageSize: 10 })).instances;
        if (children.length !== 1) problems.push(`${id}: ${children.length} children`);
        for (const c of children) {
          if (c.runtimeStatus !== 'COMPLETED') problems.push(`${c.instanceId}: ${c.runtimeStatus}`);
          problems.push(...historyAudit(c.instanceId, await control.store.loadHistory(c.instanceId)));
        }
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);

      // Every logical call reached the stub; a repeat is a redelivery under the same key.
      const callProblems: string[] = [];
      let total = 0;
      for (const id of acknowledged) {
        for (const key of [...ITEMS.map((i) => `${id}:${i}`), `${id}:nap`]) {
          const keys = calls.get(key) ?? [];
          total += keys.length;
          if (keys.length === 0) callProblems.push(`${key}: never called`);
          if (new Set(keys).size > 1) callProblems.push(`${key}: called under ${new Set(keys).size} idempotency keys (a duplicated action)`);
        }
      }
      assert.deepEqual(callProblems.slice(0, 20), [], `${callProblems.length} call problems`);
      t.diagnostic(`${total} calls for ${acknowledged.length * (ITEMS.length + 1)} logical calls (${total - acknowledged.length * (ITEMS.length + 1)} redeliveries)`);
    } finally {
      await control.stop();
      for (const n of nodes) n?.proc.kill('SIGTERM');
      await Promise.all(nodes.map((n) => n?.exited));
    }
  });
});
