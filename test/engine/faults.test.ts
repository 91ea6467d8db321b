// Disk faults (issue 9, finding 8), on the real SQLite store with a failing fsync: the engine goes
// unhealthy, logs the cause once, stops claiming; a start whose outcome is unknown is reported as
// unknown (and was in fact recorded), never as failed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './harness.js';
import { createEngine } from '../../src/engine/engine.js';
import { LogEvent, type Logger } from '../../src/engine/logger.js';
import { InfrastructureError } from '../../src/errors.js';
import { failingSqlite } from './fault-store.js';
import { StoreFaultCode } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('faults (sqlite)', () => {
  it('finding 8: a failed fsync makes the engine unhealthy, logs one line, stops claiming; the start is WRITE_OUTCOME_UNKNOWN and was recorded', async () => {
    const path = join(dir, 'fsync.db');
    const { store, fail } = await failingSqlite(path);
    const errors: Array<{ msg: string; event: unknown }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg, meta) => errors.push({ msg, event: meta?.event }) };
    // One workerId for the node and its restart (as `swirl serve` has by default): the start was
    // claimed in its create's transaction (store feature turnShortcuts), and the restarted node
    // releases that claim at once instead of waiting for its lease to expire.
    const engine = track(await createEngine({ store, logger, pollIntervalMs: 20, workerId: 'faults-node' }));
    engine.registerOrchestration('hello', (_ctx, name: string) => `hello ${name}`);
    const fatal = new Promise<Error>((r) => engine.onFatal(r));
    await engine.start();
    assert.deepEqual(engine.health(), { healthy: true });
    const ok = await engine.client.waitForCompletion(await engine.client.start('hello', 'a'), { timeoutMs: 10_000 });
    assert.equal(ok.output, 'hello a');

    fail.now = true;
    let thrown: unknown;
    try {
      await engine.client.start('hello', 'b', { instanceId: 'maybe-1' });
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof InfrastructureError, `got ${String(thrown)}`);
    assert.equal((thrown as InfrastructureError).code, StoreFaultCode.WRITE_OUTCOME_UNKNOWN);
    assert.match((thrown as Error).message, /may have been recorded .*retry with the same instance id 'maybe-1'/);
    assert.equal((thrown as { instanceId?: string }).instanceId, 'maybe-1');

    assert.equal((await fatal as { code?: string }).code, StoreFaultCode.STORE_FAILED);
    const health = engine.health();
    assert.equal(health.healthy, false);
    assert.match(health.healthy ? '' : health.reason, /store failed/);
    const fatalLines = errors.filter((e) => e.event === LogEvent.storeFailed);
    assert.equal(fatalLines.length, 1);
    assert.match(fatalLines[0]!.msg, /store failed: .*must be restarted/);
    // Stopped claiming: the instance that may exist is not run by this (failed) node.
    const turns = engine.stats().turns;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(engine.stats().turns, turns);
    await engine.stop();
    await store.close().catch(() => undefined);

    // The restarted node finds the start recorded and runs it: "unknown" was the honest answer.
    const again = track(await createEngine({ store: `sqlite:${path}`, pollIntervalMs: 20, workerId: 'faults-node' }));
    again.registerOrchestration('hello', (_ctx, name: string) => `hello ${name}`);
    await again.start();
    const done = await again.client.waitForCompletion('maybe-1', { timeoutMs: 10_000 });
    assert.equal(done.output, 'hello b');
  });
});
