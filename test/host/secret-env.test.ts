/**
 * `$SECRETS` on a host (specs/security.md "$SECRETS"): secret stores first, then the environment
 * only for the names the operator allows — `SWIRL_SECRET_*` by default, other prefixes or exact
 * names when configured. With and without a components folder (its implicit env store follows the
 * same policy; a configured secretstores.local.env is the operator's own choice).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, type SwirlHost } from '../../src/index.js';

let host: SwirlHost | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ENV = { SWIRL_SECRET_A: 'a-value', APP_KEY: 'app-key', LISTED: 'listed', HOME_LIKE: 'private' };

/** Runs a workflow declaring `names` and returns its output, or its failure message. */
async function secretsSeen(h: SwirlHost, names: string[]): Promise<unknown> {
  const app = createApp(h);
  const id = `w${names.join('-').toLowerCase().replace(/_/g, '')}`;
  const data = `{ ${names.map((n) => `${n.toLowerCase()}: '\${ $SECRETS.${n} }'`).join(', ')} }`;
  const text = [`id: ${id}`, "specVersion: '0.8'", `secrets: [${names.join(', ')}]`, 'states:', '  - name: S', '    type: inject', `    data: ${data}`, '    end: true', ''].join('\n');
  assert.equal((await app.fetch(new Request('http://h/api/v1/workflows', { method: 'POST', body: text }))).status, 201);
  assert.equal((await app.fetch(new Request(`http://h/v1.0/workflows/dapr/${id}/start?instanceID=${id}-1`, { method: 'POST', body: '{}' }))).status, 202);
  for (let i = 0; i < 200; i++) {
    const m = await h.engine.client.get(`${id}-1`);
    if (m?.runtimeStatus === 'COMPLETED') return m.output;
    if (m?.runtimeStatus === 'FAILED') return m.failure?.message;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${id} did not finish`);
}

for (const withComponents of [false, true]) {
  const where = withComponents ? 'with a components folder without a secret store' : 'without components';
  test(`${where}: the default reads SWIRL_SECRET_* only`, async () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'swirl-secret-env-'));
      dirs.push(dir);
      host = await createHost({ store: 'memory', ...(withComponents ? { componentsDir: dir } : {}) });
      await host.start();
      assert.deepEqual(await secretsSeen(host, ['SWIRL_SECRET_A']), { swirl_secret_a: 'a-value' });
      assert.equal(await secretsSeen(host, ['HOME_LIKE']), "workflow 'whomelike' declares secret(s) 'HOME_LIKE' that no secret source provides");
    } finally {
      for (const k of Object.keys(ENV)) if (!(k in saved)) delete process.env[k];
    }
  });

  test(`${where}: other prefixes and listed names when configured`, async () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'swirl-secret-env-'));
      dirs.push(dir);
      host = await createHost({ store: 'memory', secretEnv: { prefixes: ['APP_'], names: ['LISTED'] }, ...(withComponents ? { componentsDir: dir } : {}) });
      await host.start();
      assert.deepEqual(await secretsSeen(host, ['APP_KEY', 'LISTED']), { app_key: 'app-key', listed: 'listed' });
      assert.equal(await secretsSeen(host, ['SWIRL_SECRET_A']), "workflow 'wswirlsecreta' declares secret(s) 'SWIRL_SECRET_A' that no secret source provides");
    } finally {
      for (const k of Object.keys(ENV)) if (!(k in saved)) delete process.env[k];
    }
  });
}

test('a configured secretstores.local.env store is the operator\'s choice: it reads with its own prefix', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, ENV);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'swirl-secret-env-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'env.yaml'), ['apiVersion: dapr.io/v1alpha1', 'kind: Component', 'metadata: { name: env }', 'spec:', '  type: secretstores.local.env', '  version: v1', '  metadata: [{ name: prefix, value: APP_ }]', ''].join('\n'));
    host = await createHost({ store: 'memory', componentsDir: join(dir, 'c') });
    await host.start();
    assert.deepEqual(await secretsSeen(host, ['KEY']), { key: 'app-key' });
  } finally {
    for (const k of Object.keys(ENV)) if (!(k in saved)) delete process.env[k];
  }
});
