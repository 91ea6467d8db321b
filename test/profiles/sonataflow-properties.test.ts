// application.properties under the sonataflow profile as SonataFlow's MicroProfile Config reads it:
// the Java properties syntax, `${name:default}` expressions, and environment variables that
// override the file (SonataFlow's documented way to point a project at another environment's
// services). The end-to-end cases run the openapi-props fixture against a local HTTP server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { loadWorkflow } from '../../src/graph/load.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { validateFile } from '../../src/definition/validate.js';
import { Profile } from '../../src/definition/profiles/profile.js';
import { parseProperties, ProjectProperties } from '../../src/definition/profiles/sonataflow/properties.js';

const PROJECT = join(import.meta.dirname, 'sonataflow', 'projects', 'openapi-props');

describe('application.properties (sonataflow profile)', () => {
  it('parses the Java properties syntax Quarkus projects use', () => {
    const text = [
      '# a comment',
      '! another comment',
      'quarkus.rest-client.a_yaml.url=http://a:1/',
      'kogito.sw.functions.f.host : example.org',
      'kogito.sw.functions.f.port 8181',
      '   indented.key = value with spaces  ',
      'continued=one,\\',
      '    two',
      'unicode=caf\\u00e9',
      'escaped\\=key=x',
      '%dev.quarkus.rest-client.a_yaml.url=http://dev:1/',
    ].join('\n');
    assert.deepEqual(Object.fromEntries(parseProperties(text)), {
      'quarkus.rest-client.a_yaml.url': 'http://a:1/',
      'kogito.sw.functions.f.host': 'example.org',
      'kogito.sw.functions.f.port': '8181',
      'indented.key': 'value with spaces  ',
      continued: 'one,two',
      unicode: 'café',
      'escaped=key': 'x',
      '%dev.quarkus.rest-client.a_yaml.url': 'http://dev:1/',
    });
  });

  it('environment variables override the file (exact, then MicroProfile-mapped names); ${name:default} expands', () => {
    const file = new Map([
      ['quarkus.rest-client.stock_svc_yaml.url', 'http://file:1/'],
      ['quarkus.rest-client.portfolio_yaml.url', '${PORTFOLIO_URL:http://localhost:8282/}'],
      ['quarkus.rest-client.other_yaml.url', '${base.url}/other'],
      ['base.url', 'http://${HOST_NAME:localhost}:9000'],
      ['quarkus.rest-client.broken_yaml.url', '${NOT_SET}'],
    ]);
    const none = new ProjectProperties(file, {});
    assert.equal(none.get('quarkus.rest-client.stock_svc_yaml.url'), 'http://file:1/');
    assert.equal(none.get('quarkus.rest-client.portfolio_yaml.url'), 'http://localhost:8282/');
    assert.equal(none.get('quarkus.rest-client.other_yaml.url'), 'http://localhost:9000/other');
    assert.equal(none.get('quarkus.rest-client.broken_yaml.url'), '${NOT_SET}', 'left as written, so the check names it');
    assert.equal(none.get('quarkus.rest-client.missing_yaml.url'), undefined);

    const env = new ProjectProperties(file, {
      QUARKUS_REST_CLIENT_STOCK_SVC_YAML_URL: 'http://env:2/',
      PORTFOLIO_URL: 'http://portfolio:3/',
      HOST_NAME: 'svc',
      quarkus_rest_client_missing_yaml_url: 'http://mapped:4/',
    });
    assert.equal(env.get('quarkus.rest-client.stock_svc_yaml.url'), 'http://env:2/');
    assert.equal(env.get('quarkus.rest-client.portfolio_yaml.url'), 'http://portfolio:3/');
    assert.equal(env.get('quarkus.rest-client.other_yaml.url'), 'http://svc:9000/other');
    assert.equal(env.get('quarkus.rest-client.missing_yaml.url'), 'http://mapped:4/');
  });

  describe('the base URL a run calls', () => {
    let server: Server;
    let port: number;
    let tmp: string;
    before(async () => {
      server = createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET' && req.url === '/stocks/RHT/price') return res.end(JSON.stringify({ price: 190.5 }));
        res.statusCode = 404;
        res.end('{}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
      tmp = mkdtempSync(join(tmpdir(), 'swirl-sf-props-'));
    });
    after(() => {
      server.close();
      rmSync(tmp, { recursive: true, force: true });
    });

    /** The fixture with `properties` as its application.properties, validated and run with `env` set. */
    async function runWith(name: string, properties: string, env: Record<string, string>): Promise<unknown> {
      const dir = join(tmp, name);
      cpSync(PROJECT, dir, { recursive: true });
      writeFileSync(join(dir, 'src/main/resources/application.properties'), properties);
      const file = join(dir, 'src/main/resources/portfolio.sw.yaml');
      Object.assign(process.env, env);
      const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
      try {
        const v = await validateFile(file, { profile: Profile.Sonataflow });
        assert.equal(v.valid, true, JSON.stringify(v.diagnostics, null, 2));
        const graph = await loadWorkflow(file, { profile: Profile.Sonataflow });
        const wf = registerWorkflow(engine, graph, { baseDir: dirname(file) });
        await engine.start();
        const id = await engine.client.start(wf, { symbol: 'RHT' });
        const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
        assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
        return r.output;
      } finally {
        await engine.stop();
        for (const k of Object.keys(env)) delete process.env[k];
      }
    }

    it('a ${VAR:default} URL takes the variable when it is set', async () => {
      const out = await runWith('expr', 'quarkus.rest-client.stock_portfolio_svc_yaml.url=${SWIRL_TEST_STOCK_URL:http://127.0.0.1:1}\n', { SWIRL_TEST_STOCK_URL: `http://127.0.0.1:${port}` });
      assert.deepEqual(out, { symbol: 'RHT', price: 190.5 });
    });

    it('QUARKUS_REST_CLIENT_<KEY>_URL in the environment overrides the file', async () => {
      const out = await runWith('env', 'quarkus.rest-client.stock_portfolio_svc_yaml.url=http://127.0.0.1:1\n', { QUARKUS_REST_CLIENT_STOCK_PORTFOLIO_SVC_YAML_URL: `http://127.0.0.1:${port}` });
      assert.deepEqual(out, { symbol: 'RHT', price: 190.5 });
    });

    it('an expression that resolves to nothing is an APPLICATION_PROPERTIES error naming the key and the value', async () => {
      const dir = join(tmp, 'unset');
      cpSync(PROJECT, dir, { recursive: true });
      writeFileSync(join(dir, 'src/main/resources/application.properties'), 'quarkus.rest-client.stock_portfolio_svc_yaml.url=${SWIRL_TEST_NOT_SET}\n');
      const v = await validateFile(join(dir, 'src/main/resources/portfolio.sw.yaml'), { profile: Profile.Sonataflow });
      assert.equal(v.valid, false);
      const errors = v.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.pointer, d.message]);
      assert.deepEqual(errors, [['APPLICATION_PROPERTIES', '/functions/0/operation', "function 'getPrice': quarkus.rest-client.stock_portfolio_svc_yaml.url is '${SWIRL_TEST_NOT_SET}', not an http(s) URL"]]);
    });
  });
});
