/**
 * Fuzz-style robustness: thousands of mutated definitions (structural mutations of parsed fixtures
 * and byte-level mutations of their text) never crash the validator; each yields well-formed
 * diagnostics or passes. Seeded, so a failure reproduces (SWIRL_FUZZ_SEED explores other seeds).
 */
import { test } from 'node:test';
import './offline.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticCode, validateText } from '../../src/index.js';
import { prng } from './seeded-random.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const examples = new URL('./examples/', import.meta.url).pathname;
const seed = Number(process.env.SWIRL_FUZZ_SEED ?? 20261124);
const codes = new Set<string>(Object.values(DiagnosticCode));


const corpus: { name: string; text: string }[] = [];
for (const dir of [join(fixtures, 'valid'), join(fixtures, 'invalid'), examples]) {
  for (const f of readdirSync(dir).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.endsWith('.diagnostics.json'))) {
    corpus.push({ name: f, text: readFileSync(join(dir, f), 'utf8') });
  }
}

const WEIRD: unknown[] = [null, 0, -1, 1.5, '', 'x', '${ .a | }', 'PT5S', true, false, [], {}, [null], { name: 1 }, 'Start', '\u0000', 'a'.repeat(300)];
const KEYS = ['name', 'type', 'end', 'transition', 'actions', 'functionRef', 'eventRef', 'states', 'start', 'onErrors', 'dataConditions', 'compensatedBy', 'timeouts', 'duration', 'events', 'functions', 'retries', 'errors', 'refName', 'condition'];

function mutate(value: unknown, rand: () => number, depth = 0): unknown {
  if (Array.isArray(value)) {
    const copy = value.map((v) => (rand() < 0.3 ? mutate(v, rand, depth + 1) : v));
    const r = rand();
    if (r < 0.1 && copy.length > 0) copy.splice(Math.floor(rand() * copy.length), 1);
    else if (r < 0.2) copy.push(WEIRD[Math.floor(rand() * WEIRD.length)]);
    else if (r < 0.25 && copy.length > 1) copy.reverse();
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = rand();
      if (r < 0.05) continue; // delete
      if (r < 0.1) copy[k + (rand() < 0.5 ? 'x' : '')] = v; // rename
      else if (r < 0.2) copy[k] = WEIRD[Math.floor(rand() * WEIRD.length)]; // replace
      else copy[k] = rand() < 0.4 ? mutate(v, rand, depth + 1) : v;
    }
    if (rand() < 0.1) copy[KEYS[Math.floor(rand() * KEYS.length)]] = WEIRD[Math.floor(rand() * WEIRD.length)];
    return copy;
  }
  if (typeof value === 'string' && rand() < 0.2) return value.slice(0, Math.floor(rand() * value.length));
  return value;
}

function mutateText(text: string, rand: () => number): string {
  let t = text;
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * t.length);
    const r = rand();
    if (r < 0.4) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rand() * 10));
    else if (r < 0.7) t = t.slice(0, at) + '{}[]:,-"\'\n\t #&*!|>'[Math.floor(rand() * 19)] + t.slice(at);
    else t = t.slice(0, at);
  }
  return t;
}

function assertWellFormed(result: Awaited<ReturnType<typeof validateText>>, context: string): void {
  assert.equal(typeof result.valid, 'boolean', context);
  for (const d of result.diagnostics) {
    assert.ok(codes.has(d.code), `${context}: unknown code ${d.code}`);
    assert.ok(d.severity === 'error' || d.severity === 'warning', context);
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.column) && d.column >= 1, `${context}: position ${d.line}:${d.column}`);
    assert.equal(typeof d.pointer, 'string', context);
    assert.ok(d.pointer === '' || d.pointer.startsWith('/'), `${context}: pointer ${d.pointer}`);
    assert.ok(d.message.length > 0 && !d.message.includes('\n    at '), `${context}: message ${d.message}`);
  }
  if (!result.valid) assert.ok(result.diagnostics.some((d) => d.severity === 'error'), context);
}

test('structural mutations never crash the validator', async () => {
  const rand = prng(seed);
  let invalid = 0;
  const rounds = 1500;
  for (let i = 0; i < rounds; i++) {
    const base = corpus[i % corpus.length];
    let parsed: unknown;
    try {
      parsed = base.name.endsWith('.json') ? JSON.parse(base.text) : (await import('js-yaml')).load(base.text);
    } catch {
      continue; // syntax fixtures
    }
    const text = JSON.stringify(mutate(parsed, rand));
    const result = await validateText(text, `mutant-${i}.json`);
    assertWellFormed(result, `seed ${seed} round ${i} (${base.name}): ${text.slice(0, 200)}`);
    if (!result.valid) invalid++;
  }
  assert.ok(invalid > rounds / 4, `mutations should mostly break definitions (got ${invalid} invalid of ${rounds})`);
});

test('text mutations never crash the parser or the validator', async () => {
  const rand = prng(seed ^ 0x5bd1e995);
  for (let i = 0; i < 1500; i++) {
    const base = corpus[i % corpus.length];
    const text = mutateText(base.text, rand);
    const name = base.name.replace(/(\.\w+)$/, `-mut${i}$1`);
    const result = await validateText(text, name);
    assertWellFormed(result, `seed ${seed} round ${i} (${base.name})`);
  }
});
