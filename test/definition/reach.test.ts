/**
 * What a definition may reach (definition/reach.ts, specs/security.md): with a reach policy every
 * reference — and every reference inside the files it loads — must point under the file root or
 * start with an allowed URL prefix. Refusals are REFERENCE_NOT_ALLOWED at the reference, before
 * anything is read; symbolic links out of the root and look-alike hosts do not get through.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateText } from '../../src/definition/validate.js';
import type { ReachPolicy } from '../../src/definition/reach.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-reach-def-'));
const root = join(dir, 'root');
mkdirSync(root);
// A valid target: if the $ref were followed it would resolve (so an error proves it was not read).
writeFileSync(join(dir, 'secret.json'), JSON.stringify({ functions: [], password: 'p', param: { name: 'q', in: 'query', schema: { type: 'string' } } }));
writeFileSync(join(root, 'ok.json'), JSON.stringify({ a: 1 }));
symlinkSync(join(dir, 'secret.json'), join(root, 'link.json'));
// An external schema under the root whose $ref leaves it.
writeFileSync(join(root, 'schema.json'), JSON.stringify({ type: 'object', properties: { x: { $ref: join(dir, 'secret.json') } } }));
// An OpenAPI document under the root whose $ref leaves it.
writeFileSync(
  join(root, 'api.json'),
  JSON.stringify({ openapi: '3.0.0', servers: [{ url: 'http://127.0.0.1:1' }], paths: { '/p': { get: { operationId: 'op', parameters: [{ $ref: `${join(dir, 'secret.json')}#/param` }], responses: { 200: { description: 'ok' } } } } } }),
);
after(() => rmSync(dir, { recursive: true, force: true }));

const policy: ReachPolicy = { fileRoot: root, urlPrefixes: ['https://specs.example.com/team/'] };
const wf = (head: string[]) => [`id: w`, "specVersion: '0.8'", ...head, 'states:', '  - { name: S, type: inject, data: {}, end: true }', ''].join('\n');

async function refusals(head: string[]): Promise<{ code: string; pointer: string; file: string; message: string }[]> {
  const r = await validateText(wf(head), '<api>', { unanchored: true, reach: policy });
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, pointer: d.pointer, file: d.file, message: d.message }));
}

test('a file under the root is read; a symbolic link under the root to a file outside is refused', async () => {
  assert.deepEqual(await refusals([`constants: ${JSON.stringify(join(root, 'ok.json'))}`]), []);
  const r = await refusals([`constants: ${JSON.stringify(join(root, 'link.json'))}`]);
  assert.deepEqual(r.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', '/constants']]);
});

test('URL prefixes compare origins: a look-alike host or another port is refused, before any request', async () => {
  for (const url of ['https://specs.example.com.evil.test/team/f.json', 'https://specs.example.com:8443/team/f.json', 'http://specs.example.com/team/f.json', 'https://specs.example.com/other/f.json']) {
    const r = await refusals([`functions: ${JSON.stringify(url)}`]);
    assert.deepEqual(r.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', '/functions']], url);
    assert.match(r[0]!.message, /does not start with an allowed prefix \(https:\/\/specs\.example\.com\/team\/\)/);
  }
});

test("a file's own $refs inherit the policy: a dataInputSchema $ref out of the root is refused in that file", async () => {
  const r = await refusals([`dataInputSchema: ${JSON.stringify(join(root, 'schema.json'))}`]);
  assert.deepEqual(r.map((d) => [d.code, d.pointer, d.file]), [['REFERENCE_NOT_ALLOWED', '/properties/x/$ref', join(root, 'schema.json')]]);
});

test("an OpenAPI document's $ref out of the root is not read", async () => {
  const r = await refusals(['functions:', `  - { name: f, operation: ${JSON.stringify(`${join(root, 'api.json')}#op`)} }`]);
  assert.ok(r.length > 0, 'refused');
  assert.ok(
    r.some((d) => d.code === 'INVALID_OPENAPI' && /not allowed: the file is outside the definition root/.test(d.message)),
    JSON.stringify(r),
  );
});

test('without a policy (the operator\'s own files) nothing is limited', async () => {
  const r = await validateText(wf([`constants: ${JSON.stringify(join(dir, 'secret.json'))}`]), join(dir, 'w.yaml'));
  assert.equal(r.valid, true, JSON.stringify(r.diagnostics));
});
