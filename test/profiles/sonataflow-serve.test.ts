// `swirl serve --profile sonataflow` in process: the host loads a SonataFlow project folder (no
// specVersion, sysout, bare jq arguments) and runs it; the standard host refuses the same folder.
// A definition registered over the API is validated under the host's profile too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHost } from '../../src/index.js';
import { Profile } from '../../src/definition/profiles/profile.js';

const greeting = join(import.meta.dirname, 'sonataflow', 'projects', 'greeting', 'src', 'main', 'resources');

describe('serve --profile sonataflow', () => {
  it('loads and runs a SonataFlow folder; the standard profile finds no definition in it', async () => {
    const host = await createHost({ store: 'memory', workflowsDir: greeting, profile: Profile.Sonataflow, engine: { pollIntervalMs: 20 } });
    try {
      await host.start();
      assert.deepEqual(host.loadReport.refused, []);
      assert.deepEqual(host.loadReport.loaded.map((l) => l.id), ['jsongreet']);
      const id = await host.engine.client.start('jsongreet', { name: 'Eva', language: 'English' });
      const r = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      assert.deepEqual(r.output, { name: 'Eva', language: 'English', greeting: 'Hello from JSON Workflow, ' });
    } finally {
      await host.stop();
    }
    const standard = await createHost({ store: 'memory', workflowsDir: greeting, engine: { pollIntervalMs: 20 } });
    try {
      await standard.start();
      assert.deepEqual(standard.loadReport.loaded, []);
    } finally {
      await standard.stop();
    }
  });

  it('validates a definition registered over the API under the host profile', async () => {
    const host = await createHost({ store: 'memory', profile: Profile.Sonataflow, engine: { pollIntervalMs: 20 } });
    try {
      await host.start();
      const text = JSON.stringify({ id: 'api-sf', start: 'S', states: [{ name: 'S', type: 'inject', data: { ok: true }, end: 'true' }] });
      const { result, workflow } = await host.catalog.register(text);
      assert.equal(result.valid, true, JSON.stringify(result.diagnostics));
      assert.deepEqual(result.diagnostics.map((d) => [d.severity, d.code]), [['info', 'SPEC_VERSION_ASSUMED'], ['warning', 'STRING_BOOLEAN']]);
      assert.equal(workflow?.id, 'api-sf');
      const id = await host.engine.client.start('api-sf', {});
      const r = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, { ok: true });
    } finally {
      await host.stop();
    }
  });
});
