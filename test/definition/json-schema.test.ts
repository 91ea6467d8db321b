/**
 * dataInputSchema drafts and `$ref` files: what the validator accepts is what the interpreter
 * checks input against (the same draft, the same referenced files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFile } from '../../src/index.js';
import { compileUserSchema } from '../../src/definition/json-schema.js';

const fixture = (name: string) => new URL(`./fixtures/valid/${name}`, import.meta.url).pathname;

async function inputValidator(name: string) {
  const result = await validateFile(fixture(name));
  assert.equal(result.valid, true, JSON.stringify(result.diagnostics));
  const dis = result.workflow?.dataInputSchema;
  assert.ok(dis && typeof dis === 'object' && typeof dis.schema === 'object');
  return compileUserSchema(dis as Parameters<typeof compileUserSchema>[0]);
}

test('draft-04: boolean exclusiveMinimum is honoured', async () => {
  const validate = await inputValidator('schema-draft-04.yaml');
  assert.equal(validate({ orderId: 'a', total: 1 }), true);
  assert.equal(validate({ orderId: 'a', total: 0 }), false);
});

test('2019-09: unevaluatedProperties is honoured', async () => {
  const validate = await inputValidator('schema-2019-09.yaml');
  assert.equal(validate({ sku: 'x' }), true);
  assert.equal(validate({ sku: 'x', other: 1 }), false);
});

test('a relative $ref resolves against the schema file, fragments included', async () => {
  const validate = await inputValidator('schema-relative-ref.yaml');
  assert.equal(validate({ shipTo: { city: 'Lyon' } }), true);
  assert.equal(validate({ shipTo: {} }), false);
  assert.equal(validate({ shipTo: { city: 'Lyon' }, billTo: { city: 'Lyon' } }), false);
  assert.equal(validate({ shipTo: { city: 'Lyon' }, billTo: { city: 'Lyon', zip: '69001' } }), true);
});
