/**
 * Definitions registered over the API have no folder (issue 11): a relative file reference in
 * them is refused at registration (400 ERR_DEFINITION_INVALID with a RELATIVE_REFERENCE
 * diagnostic at the reference) instead of resolving against the server's working directory and
 * failing at run time. Absolute paths and URLs are accepted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type App, type Diagnostic, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;
const dir = mkdtempSync(join(tmpdir(), 'swirl-relref-'));
writeFileSync(join(dir, 'functions.json'), JSON.stringify({ functions: [{ name: 'f', type: 'expression', operation: '.' }] }));

before(async () => {
  // Absolute files are reachable only under the server's definition root (specs/security.md).
  host = await createHost({ store: 'memory', reach: { fileRoot: dir, urlPrefixes: [] } });
  await host.start();
  app = createApp(host);
});
after(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: string) => app.fetch(new Request(`http://swirl.test${path}`, { method: 'POST', body }));
const MESSAGE = (ref: string) => `relative reference '${ref}' cannot be resolved for a definition registered over the API: use an absolute URL or put the file in the workflows folder`;

const workflow = (id: string, head: string[]) =>
  [`id: ${id}`, "specVersion: '0.8'", ...head, 'states:', '  - name: S', '    type: inject', '    data: {}', '    end: true', ''].join('\n');

describe('relative references in definitions registered over the API', () => {
  const cases: { what: string; head: string[]; ref: string; pointer: string; line: number; column: number }[] = [
    { what: 'an external functions file', head: ['functions: functions.json'], ref: 'functions.json', pointer: '/functions', line: 3, column: 12 },
    { what: 'a file:// relative URI (the spec examples\' form)', head: ['events: file://events.yaml'], ref: 'file://events.yaml', pointer: '/events', line: 3, column: 9 },
    { what: 'dataInputSchema', head: ['dataInputSchema: schemas/order.json'], ref: 'schemas/order.json', pointer: '/dataInputSchema', line: 3, column: 18 },
    { what: 'dataInputSchema.schema', head: ['dataInputSchema:', '  schema: ./order.json'], ref: './order.json', pointer: '/dataInputSchema/schema', line: 4, column: 11 },
    { what: 'constants', head: ['constants: constants.json'], ref: 'constants.json', pointer: '/constants', line: 3, column: 12 },
    {
      what: "a rest function's OpenAPI document",
      head: ['functions:', '  - name: getPet', '    operation: specs/petstore.yaml#getPetById'],
      ref: 'specs/petstore.yaml',
      pointer: '/functions/0/operation',
      line: 5,
      column: 16,
    },
  ];
  for (const c of cases) {
    test(`${c.what}: 400 with RELATIVE_REFERENCE at the reference`, async () => {
      const res = await post('/api/v1/workflows', workflow('rel', c.head));
      assert.equal(res.status, 400);
      const body = (await res.json()) as { errorCode: string; diagnostics: Diagnostic[] };
      assert.equal(body.errorCode, 'ERR_DEFINITION_INVALID');
      const d = body.diagnostics.filter((x) => x.code === 'RELATIVE_REFERENCE');
      assert.equal(d.length, 1, JSON.stringify(body.diagnostics));
      assert.deepEqual({ ...d[0], hint: undefined }, { severity: 'error', code: 'RELATIVE_REFERENCE', message: MESSAGE(c.ref), file: '<api>', line: c.line, column: c.column, pointer: c.pointer, hint: undefined });
      assert.match(d[0]!.hint ?? '', /absolute path or URL/);
      assert.equal(host.catalog.graph('rel'), undefined);
    });
  }

  test('validate only reports it too', async () => {
    const res = await post('/api/v1/workflows/validate', workflow('rel', ['functions: functions.json']));
    const body = (await res.json()) as { valid: boolean; diagnostics: Diagnostic[] };
    assert.equal(body.valid, false);
    assert.deepEqual(body.diagnostics.map((d) => d.code), ['RELATIVE_REFERENCE']);
  });

  test('absolute paths and file:/// URIs under the definition root are accepted', async () => {
    const file = join(dir, 'functions.json');
    for (const [id, ref] of [['abs-path', file], ['abs-uri', `file://${file}`]] as const) {
      const res = await post('/api/v1/workflows', workflow(id, [`functions: ${JSON.stringify(ref)}`]));
      assert.equal(res.status, 201, await res.clone().text());
    }
  });
});
