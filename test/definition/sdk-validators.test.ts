/**
 * The precompiled schema validators (src/definition/sdk-validators.generated.ts, ajv standalone
 * code made by scripts/sdk-validators.mjs) answer exactly like the Serverless Workflow SDK's own
 * compiled validators: the same verdict and the same ajv errors (instancePath, schemaPath, keyword,
 * params, message) for every fixture, spec example and sample, their states and section items, and
 * seeded structural mutations of them — so a document gets the same diagnostics as when Swirl
 * validated with the SDK directly. And the committed file is what the generator makes from the
 * installed SDK and ajv (regenerate with `node scripts/sdk-validators.mjs`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { GENERATED_FROM, sdkSchemaFiles, sdkValidateFunctions, VALIDATOR_REFS } from '../../src/definition/sdk-validators.generated.js';
// @ts-expect-error -- a plain .mjs script without declarations
import { GENERATED_PATH, VALIDATOR_NAMES, generateSdkValidators } from '../../scripts/sdk-validators.mjs';
import { prng } from './seeded-random.js';

interface Fn {
  (data: unknown): boolean;
  errors?: unknown[] | null;
  schema?: unknown;
  schemaEnv?: { root: { schema: unknown } };
}
const require = createRequire(import.meta.url);
const sdk = (require('@serverlessworkflow/sdk-typescript') as { validators: Map<string, Fn> }).validators;
const generated = sdkValidateFunctions() as Record<string, Fn>;
const files = sdkSchemaFiles() as Record<string, unknown>;

test('the committed generated file is what the generator makes from the installed SDK and ajv', () => {
  assert.equal(GENERATED_FROM.sdk, (require('@serverlessworkflow/sdk-typescript/package.json') as { version: string }).version);
  assert.equal(GENERATED_FROM.ajv, (require('ajv/package.json') as { version: string }).version);
  assert.ok(readFileSync(GENERATED_PATH, 'utf8') === generateSdkValidators(), 'src/definition/sdk-validators.generated.ts is stale: run node scripts/sdk-validators.mjs (npm run build does)');
});

test('each generated validator has the SDK validator\'s schema and schema file', () => {
  assert.deepEqual(Object.keys(VALIDATOR_REFS), VALIDATOR_NAMES);
  for (const [name, ref] of Object.entries(VALIDATOR_REFS as Record<string, string>)) {
    const v = sdk.get(name)!;
    const [id, fragment = ''] = ref.split('#');
    assert.deepEqual(files[id], v.schemaEnv!.root.schema, name);
    const at = fragment === '' ? files[id] : (files[id] as { definitions: Record<string, unknown> }).definitions[fragment.replace('/definitions/', '')];
    assert.deepEqual(at, v.schema, name);
  }
});

/** Every document of the corpus, parsed (files that do not parse are skipped: syntax fixtures). */
function corpus(): { name: string; doc: unknown }[] {
  const root = new URL('../..', import.meta.url).pathname;
  const out: { name: string; doc: unknown }[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(f) && !f.endsWith('.diagnostics.json')) {
        try {
          const doc = f.endsWith('.json') ? JSON.parse(readFileSync(p, 'utf8')) : loadYaml(readFileSync(p, 'utf8'));
          if (doc !== null && typeof doc === 'object') out.push({ name: p.slice(root.length), doc });
        } catch {
          // not parseable: the parser reports it before any schema check
        }
      }
    }
  };
  for (const d of ['test/definition/fixtures', 'test/definition/examples', 'samples']) walk(join(root, d));
  return out;
}

/** The values schema.ts hands to validators: the document, its states and its section items. */
function parts(doc: unknown): unknown[] {
  const d = doc as Record<string, unknown>;
  const out: unknown[] = [doc];
  for (const k of ['states', 'functions', 'events', 'retries', 'errors', 'auth']) if (Array.isArray(d[k])) out.push(...(d[k] as unknown[]));
  return out;
}

const WEIRD: unknown[] = [null, 0, -1, 1.5, '', 'x', 'PT5S', true, [], {}, [null], { name: 1 }, 'a'.repeat(300)];
function mutate(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) {
    const copy = value.map((v) => (rand() < 0.3 ? mutate(v, rand) : v));
    if (rand() < 0.1 && copy.length > 0) copy.splice(Math.floor(rand() * copy.length), 1);
    else if (rand() < 0.1) copy.push(WEIRD[Math.floor(rand() * WEIRD.length)]);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = rand();
      if (r < 0.05) continue;
      if (r < 0.1) copy[`${k}x`] = v;
      else if (r < 0.2) copy[k] = WEIRD[Math.floor(rand() * WEIRD.length)];
      else copy[k] = rand() < 0.4 ? mutate(v, rand) : v;
    }
    return copy;
  }
  return value;
}

function compare(name: string, data: unknown, context: string): boolean {
  const a = sdk.get(name)!;
  const b = generated[name];
  const okA = a(structuredClone(data));
  const okB = b(structuredClone(data));
  assert.equal(okB, okA, `${context}: ${name} verdict`);
  if (!okA) assert.deepEqual(b.errors, a.errors, `${context}: ${name} errors`);
  return okA;
}

test('the generated validators answer like the SDK\'s on every document, state and section item of the corpus', () => {
  const docs = corpus();
  assert.ok(docs.length > 100, `corpus of ${docs.length} documents`);
  let failures = 0;
  for (const { name, doc } of docs) {
    for (const [i, part] of parts(doc).entries()) {
      for (const v of VALIDATOR_NAMES as string[]) if (!compare(v, part, `${name} part ${i}`)) failures++;
    }
  }
  assert.ok(failures > 1000, `the corpus exercises failing validations too (${failures})`);
});

test('the generated validators answer like the SDK\'s on seeded mutations of the corpus', () => {
  const docs = corpus();
  const rand = prng(20261206);
  for (let round = 0; round < 600; round++) {
    const { name, doc } = docs[round % docs.length];
    const mutant = mutate(doc, rand);
    for (const [i, part] of parts(mutant).entries()) {
      for (const v of VALIDATOR_NAMES as string[]) compare(v, part, `${name} mutant ${round} part ${i}`);
    }
  }
});
