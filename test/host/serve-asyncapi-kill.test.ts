/**
 * An asyncapi `subscribe` acknowledges its message only once the activity's result is in the store
 * (issue 16, specs/asyncapi.md §4), with a real `swirl serve` on SQLite and the real RabbitMQ,
 * killed with -9 (test/host/binding-kill-launcher.ts) either right after the activity received its
 * message (`after-receive`: the broker still holds it, the restarted server runs the activity again
 * and receives the same message) or right after the acknowledgement went out (`at-ack`: by then the
 * result is recorded, so nothing is lost). Either way the instance completes with the message's data
 * and the queue ends empty.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { startServe, type Server } from './serve-child.js';
import { componentYaml, serviceUrl, uniqueName } from '../components/support.js';

const launcher = fileURLToPath(new URL('./binding-kill-launcher.ts', import.meta.url));
const rabbit = serviceUrl('rabbitmq');
const started: ChildProcess[] = [];
const root = mkdtempSync(join(tmpdir(), 'swirl-asyncapi-kill-'));

after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

for (const moment of ['after-receive', 'at-ack'] as const) {
  test(`kill -9 ${moment === 'at-ack' ? 'as the asyncapi subscribe acknowledges' : 'after an asyncapi subscribe received'} its message: consumed once, nothing lost`, { skip: rabbit.skip, timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(root, `${moment}-`));
    const topic = uniqueName('jobs');
    const consumer = uniqueName('swirl');
    mkdirSync(join(dir, 'workflows'));
    mkdirSync(join(dir, 'components'));
    writeFileSync(
      join(dir, 'workflows', 'jobs.yaml'),
      `asyncapi: '2.6.0'\ninfo: { title: Jobs, version: '1' }\nservers:\n  q: { url: '${rabbit.url}', protocol: amqp }\nchannels:\n  ${topic}:\n    subscribe:\n      operationId: nextJob\n      message: { name: Job }\n`,
    );
    writeFileSync(
      join(dir, 'workflows', 'worker.yaml'),
      `id: worker\nspecVersion: '0.8'\nstart: Take\nfunctions:\n  - name: next\n    type: asyncapi\n    operation: jobs.yaml#nextJob\nstates:\n  - name: Take\n    type: operation\n    actions: [{ functionRef: { refName: next, arguments: {} } }]\n    end: true\n`,
    );
    // A durable queue that outlives its consumer: the message waits in it between the two processes.
    writeFileSync(join(dir, 'components', 'q.yaml'), componentYaml('q', 'pubsub.rabbitmq', { connectionString: rabbit.url, consumerID: consumer, durable: 'true', deletedWhenUnused: 'false' }));
    const serve = (kill: string): Promise<Server> => startServe(dir, started, ['--components', join(dir, 'components')], launcher, { ...process.env, SWIRL_TEST_BINDING_KILL: kill });
    const queue = `${consumer}-${topic}`;
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createConfirmChannel();
    try {
      const first = await serve(moment);
      let out = '';
      first.proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const res = await fetch(`${first.base}/v1.0/workflows/dapr/worker/start?instanceID=w-1`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 202, await res.text());
      // The activity is subscribed once its queue has a consumer.
      // (A check of a queue that does not exist closes its channel: one channel per check.)
      for (let i = 0; i < 100; i++) {
        const probe = await conn.createChannel();
        probe.on('error', () => undefined);
        const q = await probe.checkQueue(queue).catch(() => undefined);
        await probe.close().catch(() => undefined);
        if (q && q.consumerCount > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      ch.publish(topic, '', Buffer.from(JSON.stringify({ specversion: '1.0', id: 'job-1', source: '/test', type: 'Job', data: { job: 'paint' } })), { persistent: true });
      await ch.waitForConfirms();
      await first.exited;
      assert.equal(first.proc.signalCode, 'SIGKILL');
      assert.match(first.stdout() + out, new RegExp(`KILLING ${moment} job-1`));
      const second = await serve('');
      let done: Record<string, any> = {};
      for (let i = 0; i < 200 && done.runtimeStatus !== 'COMPLETED'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        done = (await (await fetch(`${second.base}/api/v1/instances/w-1`)).json()) as Record<string, any>;
      }
      assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done));
      assert.deepEqual(done.output ?? JSON.parse(done.serializedOutput ?? 'null'), { job: 'paint' });
      second.proc.kill('SIGTERM');
      await second.exited;
      assert.equal((await ch.checkQueue(queue)).messageCount, 0, 'acknowledged by the second run');
    } finally {
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(topic).catch(() => undefined);
      await conn.close().catch(() => undefined);
    }
  });
}
