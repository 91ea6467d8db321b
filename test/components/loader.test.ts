/**
 * Component files: parsing, the errors a user sees for bad files (file, line, field, message),
 * secretKeyRef resolution, and the two local secret stores. Needs no service, except the
 * "unreachable broker" cases, which use a closed loopback port.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DefinitionError } from '../../src/errors.js';
import { loadComponents, parseComponentText, type ComponentDiagnostic } from '../../src/components/index.js';
import { componentDir, componentYaml } from './support.js';

/** Loads `files` and returns the DefinitionError it must fail with. */
async function loadError(files: Record<string, string>): Promise<{ err: DefinitionError; diag: ComponentDiagnostic; dir: string }> {
  const { dir, cleanup } = await componentDir(files);
  try {
    await loadComponents(dir, { env: {}, connectTimeoutMs: 2000 });
  } catch (err) {
    assert.ok(err instanceof DefinitionError, `expected DefinitionError, got ${String(err)}`);
    return { err, diag: err.diagnostics[0] as ComponentDiagnostic, dir };
  } finally {
    await cleanup();
  }
  assert.fail('loadComponents should have failed');
}

describe('component files', () => {
  it('parses name, type, version, values and secretKeyRefs, skipping other kinds', () => {
    const text = `${componentYaml('orders', 'pubsub.redis', { redisHost: 'localhost:6379', redisPassword: { secretKeyRef: { name: 'redis-pass', key: 'redis-pass' } } }, 'auth:\n  secretStore: vault\n')}---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: ignored
`;
    const [m, ...rest] = parseComponentText(text, 'c.yaml');
    assert.equal(rest.length, 0);
    assert.equal(m.name, 'orders');
    assert.equal(m.type, 'pubsub.redis');
    assert.equal(m.version, 'v1');
    assert.equal(m.secretStore, 'vault');
    assert.deepEqual(m.metadata.map((e) => [e.name, e.value, e.secretKeyRef, e.line]), [
      ['redisHost', 'localhost:6379', undefined, 9],
      ['redisPassword', undefined, { name: 'redis-pass', key: 'redis-pass' }, 11],
    ]);
  });

  it('unknown type: names the file, line, field and the supported types', async () => {
    const { err, diag, dir } = await loadError({ 'kafka.yaml': componentYaml('events', 'pubsub.kafka', { brokers: 'x' }) });
    assert.equal(err.code, 'COMPONENT_UNKNOWN_TYPE');
    assert.equal(diag.file, join(dir, 'kafka.yaml'));
    assert.equal(diag.field, 'spec.type');
    assert.match(err.message, /kafka\.yaml:2: spec\.type: component 'events': unknown type 'pubsub\.kafka' \(supported: .*pubsub\.redis/);
  });

  it('missing required metadata: names the field and its line', async () => {
    const { err, diag } = await loadError({ 'b.yaml': componentYaml('queue', 'bindings.rabbitmq', { host: 'amqp://127.0.0.1:1' }) });
    assert.equal(err.code, 'COMPONENT_MISSING_METADATA');
    assert.equal(diag.field, 'spec.metadata.queueName');
    assert.match(err.message, /b\.yaml:\d+: spec\.metadata\.queueName: component 'queue': missing required metadata 'queueName' for bindings\.rabbitmq/);
  });

  it('unreachable broker at start: COMPONENT_UNREACHABLE on the address field', async () => {
    const { err, diag } = await loadError({ 'redis.yaml': componentYaml('cache', 'bindings.redis', { redisHost: '127.0.0.1:1' }) });
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.equal(diag.field, 'spec.metadata.redisHost');
    assert.equal(diag.line, 9);
    assert.match(err.message, /redis\.yaml:9: spec\.metadata\.redisHost: component 'cache': cannot connect to Redis at 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  it('unreachable RabbitMQ, MQTT, NATS and PostgreSQL are reported the same way', async () => {
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['pubsub.rabbitmq', 'connectionString', { connectionString: 'amqp://guest:guest@127.0.0.1:1' }, 'RabbitMQ'],
      ['pubsub.mqtt3', 'url', { url: 'mqtt://127.0.0.1:1' }, 'MQTT broker'],
      ['pubsub.nats', 'natsURL', { natsURL: 'nats://127.0.0.1:1' }, 'NATS'],
      ['bindings.postgresql', 'connectionString', { connectionString: 'postgres://postgres@127.0.0.1:1/postgres' }, 'PostgreSQL'],
    ];
    for (const [type, field, md, what] of cases) {
      const { err, diag } = await loadError({ 'c.yaml': componentYaml('x', type, md) });
      assert.equal(err.code, 'COMPONENT_UNREACHABLE', type);
      assert.equal(diag.field, `spec.metadata.${field}`, type);
      assert.match(err.message, new RegExp(`cannot connect to ${what}`), type);
    }
  });

  it('bad YAML, wrong apiVersion, unsupported version, duplicate names, bad values', async () => {
    let r = await loadError({ 'a.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: [\n' });
    assert.equal(r.err.code, 'COMPONENT_INVALID');
    assert.match(r.err.message, /a\.yaml:\d+: \(file\): not valid YAML/);
    r = await loadError({ 'a.yaml': componentYaml('x', 'bindings.http', { url: 'http://x' }).replace('dapr.io/v1alpha1', 'v1') });
    assert.equal(r.diag.field, 'apiVersion');
    r = await loadError({ 'a.yaml': componentYaml('x', 'bindings.http', { url: 'http://x' }).replace('version: v1', 'version: v2') });
    assert.equal(r.diag.field, 'spec.version');
    assert.match(r.err.message, /version 'v2' is not supported/);
    r = await loadError({ 'a.yaml': componentYaml('x', 'bindings.http', { url: 'http://x' }), 'b.yaml': componentYaml('x', 'bindings.http', { url: 'http://y' }) });
    assert.equal(r.err.code, 'COMPONENT_DUPLICATE');
    assert.match(r.err.message, /b\.yaml:\d+: metadata\.name: component name 'x' is already used in .*a\.yaml/);
    r = await loadError({ 'a.yaml': componentYaml('x', 'bindings.http', { url: 'http://x', errorIfNot2XX: 'maybe' }) });
    assert.equal(r.err.code, 'COMPONENT_BAD_METADATA');
    assert.match(r.err.message, /spec\.metadata\.errorIfNot2XX: component 'x': expected true or false, found 'maybe'/);
    r = await loadError({ 'a.yaml': componentYaml('apps', 'nameresolution.static', { orders: 'not a url' }) });
    assert.match(r.err.message, /spec\.metadata\.orders: component 'apps': app id 'orders' needs a base URL/);
    r = await loadError({ 'a.yaml': 'kind: Component\nmetadata:\n  name: x\nspec:\n  version: v1\n' });
    assert.equal(r.diag.field, 'apiVersion');
  });

  it('a missing folder is a clear error', async () => {
    await assert.rejects(loadComponents('/nonexistent/swirl-components'), (err: DefinitionError) => err.code === 'COMPONENT_INVALID' && /cannot read the components folder/.test(err.message));
  });
});

describe('secret stores', () => {
  it('with no store configured, $SECRETS reads the environment', async () => {
    const host = await loadComponents(undefined, { env: { API_KEY: 'k-123' } });
    assert.equal(await host.getSecret('API_KEY'), 'k-123');
    assert.equal(await host.getSecret('MISSING'), undefined);
    assert.deepEqual(host.describe?.(), []);
    await host.close();
  });

  it('secretstores.local.env with prefix exposes only prefixed variables', async () => {
    const { dir, cleanup } = await componentDir({ 'env.yaml': componentYaml('env', 'secretstores.local.env', { prefix: 'SWIRL_' }) });
    const host = await loadComponents(dir, { env: { SWIRL_TOKEN: 't', HOME: '/root' } });
    assert.equal(await host.getSecret('TOKEN'), 't');
    assert.equal(await host.getSecret('HOME'), undefined);
    await host.close();
    await cleanup();
  });

  it('secretstores.local.file flattens nested JSON with nestedSeparator and resolves secretKeyRefs', async () => {
    const secrets = JSON.stringify({ db: { password: 'pw', user: 'app' }, token: 'abc', list: ['a', 'b'] });
    const { dir, cleanup } = await componentDir({
      'secrets.json': secrets,
      'a-store.yaml': componentYaml('files', 'secretstores.local.file', { secretsFile: 'secrets.json', nestedSeparator: '.' }),
      'b-http.yaml': componentYaml('api', 'bindings.http', { url: 'http://127.0.0.1:9', securityToken: { secretKeyRef: { name: 'token' } }, securityTokenHeader: 'x-token' }),
    });
    const host = await loadComponents(dir, { env: { token: 'from-env' } });
    assert.equal(await host.getSecret('db.password'), 'pw');
    assert.equal(await host.getSecret('list.1'), 'b');
    // A configured store replaces the implicit env store.
    assert.equal(await host.getSecret('HOME'), undefined);
    assert.deepEqual(host.describe?.().map((c) => [c.name, c.type]), [['files', 'secretstores.local.file'], ['api', 'bindings.http']]);
    await host.close();
    await cleanup();
  });

  it('multiValued file store: keys of a secret, and the whole secret as JSON', async () => {
    const { dir, cleanup } = await componentDir({
      's.json': JSON.stringify({ db: { user: 'app', password: 'pw' } }),
      's.yaml': componentYaml('files', 'secretstores.local.file', { secretsFile: 's.json', multiValued: 'true' }),
    });
    const host = await loadComponents(dir, { env: {} });
    assert.deepEqual(JSON.parse((await host.getSecret('db'))!), { user: 'app', password: 'pw' });
    await host.close();
    await cleanup();
  });

  it('a secretKeyRef nobody resolves, or an unknown auth.secretStore, fails the load', async () => {
    let r = await loadError({ 'a.yaml': componentYaml('api', 'bindings.http', { url: 'http://x', securityToken: { secretKeyRef: { name: 'nope' } } }) });
    assert.equal(r.err.code, 'COMPONENT_SECRET_NOT_FOUND');
    assert.match(r.err.message, /a\.yaml:\d+: spec\.metadata\.securityToken\.secretKeyRef: component 'api': secret 'nope' not found in secret store 'local-env'/);
    r = await loadError({ 'a.yaml': componentYaml('api', 'bindings.http', { url: 'http://x', securityToken: { secretKeyRef: { name: 'nope' } } }, 'auth:\n  secretStore: vault\n') });
    assert.equal(r.diag.field, 'auth.secretStore');
    r = await loadError({ 'a.yaml': componentYaml('files', 'secretstores.local.file', { secretsFile: 'missing.json' }) });
    assert.match(r.err.message, /spec\.metadata\.secretsFile: component 'files': cannot read secrets file/);
  });
});
