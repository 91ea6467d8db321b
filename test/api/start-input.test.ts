/**
 * Input refused at start (issue 11): input that is not an object, or that fails `dataInputSchema`
 * with failOnValidationErrors, is a 400 ERR_INVALID_INPUT on the Dapr start route with every
 * problem (JSON pointer + message), and no instance is created.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;

// A definition registered over the API refers to files by absolute path (relative ones are refused).
const dir = mkdtempSync(join(tmpdir(), 'swirl-input-'));
const schemaFile = join(dir, 'person.json');
writeFileSync(schemaFile, JSON.stringify({ type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } }));

const schema = (id: string, fail: boolean) => `
id: ${id}
specVersion: '0.8'
dataInputSchema:
  failOnValidationErrors: ${fail}
  schema: ${JSON.stringify(schemaFile)}
states:
  - name: Done
    type: inject
    data: { ok: true }
    end: true
`;

before(async () => {
  // The schema file is referenced by absolute path: the server allows its folder (--definition-root).
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 }, reach: { fileRoot: dir, urlPrefixes: [] } });
  await host.start();
  for (const text of [schema('strict', true), schema('lenient', false)]) {
    const { workflow, result } = await host.catalog.register(text);
    assert.ok(workflow, JSON.stringify(result.diagnostics));
  }
  app = createApp(host);
});
after(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (name: string, body: string, id: string) =>
  app.fetch(new Request(`http://swirl.test/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));

type ErrorBody = { errorCode: string; message: string; problems: { pointer: string; message: string }[] };

describe('input refused at start', () => {
  test('input that fails dataInputSchema: 400 ERR_INVALID_INPUT with every problem, nothing started', async () => {
    const res = await start('strict', '{"age":-1}', 'bad-schema');
    assert.equal(res.status, 400);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.errorCode, 'ERR_INVALID_INPUT');
    assert.match(body.message, /^input of workflow 'strict' is refused: /);
    assert.deepEqual(
      body.problems.sort((a, b) => a.pointer.localeCompare(b.pointer)),
      [
        { pointer: '', message: "must have required property 'name'" },
        { pointer: '/age', message: 'must be >= 0' },
      ],
    );
    assert.equal(await host.engine.client.get('bad-schema'), undefined);
  });

  for (const [body, kind] of [['5', 'a number'], ['[1,2]', 'an array'], ['"text"', 'a string'], ['true', 'a boolean']] as const) {
    test(`input that is ${kind}: 400 ERR_INVALID_INPUT (every API version)`, async () => {
      for (const v of ['v1.0', 'v1.0-beta1', 'v1.0-alpha1']) {
        const res = await app.fetch(new Request(`http://swirl.test/${v}/workflows/dapr/lenient/start`, { method: 'POST', body }));
        assert.equal(res.status, 400);
        const got = (await res.json()) as ErrorBody;
        assert.equal(got.errorCode, 'ERR_INVALID_INPUT');
        assert.deepEqual(got.problems, [{ pointer: '', message: `workflow input must be a JSON object, not ${kind}` }]);
      }
    });
  }

  test('valid input, empty input on a schema without required fields, and failOnValidationErrors: false are accepted', async () => {
    assert.equal((await start('strict', '{"name":"Ada","age":3}', 'good')).status, 202);
    assert.equal((await start('lenient', '{"age":-1}', 'lenient-bad')).status, 202);
    const done = await host.engine.client.waitForCompletion('lenient-bad', { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    // No body is `{}`: refused by `required`, accepted by the lenient one.
    assert.equal((await start('strict', '', 'empty-strict')).status, 400);
    assert.equal((await start('lenient', '', 'empty-lenient')).status, 202);
  });
});
