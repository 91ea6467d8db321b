/**
 * @module test/expressions/differential
 * Differential tests of the jq compiler against jq 1.8.2 (jq-wasm, the oracle): the corpus in
 * corpus/*.json and seeded random programs from generator.ts run through both; outputs (or
 * error/no-error) must agree, and every program must run compiled unless fallback-allowed.json
 * names it. Known disagreements live in corpus/known-failures.json, each with its reason.
 *
 * Env: SWIRL_JQ_SEED / SWIRL_JQ_COUNT pick the random programs; SWIRL_JQ_DISAGREEMENTS=1 rewrites
 * test/expressions/DISAGREEMENTS.md with every current disagreement (known or not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileExpression, initExpressions, ExpressionError } from '../../src/expressions/index.js';
import { canonical, compareOutcomes, describeOutcome, loadOracle, Verdict, type JqOutcome, type JqVars, type Oracle } from './oracle.js';
import { generatePairs, DEFAULT_SEED } from './generator.js';

// ---------------------------------------------------------------------------------------------
// Corpus files

/** A corpus case as written: an object, or the short form `[program, input, expected?]`. */
type RawCase =
  | {
      program: string;
      input?: unknown;
      /** Several inputs for one program: one pair each. */
      inputs?: unknown[];
      /** Outputs the jq manual documents: a cross-check of the oracle itself. */
      expected?: unknown[];
      /** Why jq 1.8.2 prints something else than the manual, when it does. */
      oracleDiffers?: string;
      vars?: JqVars;
      /** Compare object key order too (the program is about insertion order). */
      keyOrder?: boolean;
      note?: string;
    }
  | [string, unknown]
  | [string, unknown, unknown[]];

/** One (program, input) pair run through both engines. */
interface Pair {
  category: string;
  program: string;
  input: unknown;
  vars?: JqVars;
  expected?: unknown[];
  oracleDiffers?: string;
  keyOrder: boolean;
}

/** known-failures.json: pairs that may still disagree (`input` omitted: every input). */
interface KnownFailure {
  program: string;
  input?: unknown;
  /** `bug`: the compiler is wrong, to fix; `deviation`: deliberate, from src/expressions/DEVIATIONS.md. */
  kind: 'bug' | 'deviation';
  reason: string;
}

const corpusDir = new URL('./corpus/', import.meta.url).pathname;
const listFiles = new Set(['known-failures.json', 'fallback-allowed.json', 'builtins-excluded.json']);
const readCorpusJson = <T>(name: string): T => JSON.parse(readFileSync(join(corpusDir, name), 'utf8')) as T;

function expand(category: string, raw: RawCase): Pair[] {
  if (Array.isArray(raw)) return [{ category, program: raw[0], input: raw[1], expected: raw[2], keyOrder: false }];
  const inputs = raw.inputs ?? [raw.input ?? null];
  return inputs.map((input) => ({
    category,
    program: raw.program,
    input,
    vars: raw.vars,
    expected: raw.inputs ? undefined : raw.expected,
    oracleDiffers: raw.oracleDiffers,
    keyOrder: raw.keyOrder ?? false,
  }));
}

function loadCorpus(): Pair[] {
  const files = readdirSync(corpusDir).filter((f) => f.endsWith('.json') && !listFiles.has(f)).sort();
  return files.flatMap((f) => {
    const file = readCorpusJson<{ category: string; cases: RawCase[] }>(f);
    return file.cases.flatMap((c) => expand(file.category, c));
  });
}

const pairKey = (program: string, input: unknown): string =>
  input === undefined ? `${program}\u0000*` : `${program}\u0000${canonical(input, true)}`;

const knownFailures = new Map<string, KnownFailure>();
for (const k of readCorpusJson<{ entries: KnownFailure[] }>('known-failures.json').entries) {
  knownFailures.set(pairKey(k.program, 'input' in k ? k.input : undefined), k);
}
const findKnown = (p: Pair): KnownFailure | undefined =>
  knownFailures.get(pairKey(p.program, p.input)) ?? knownFailures.get(pairKey(p.program, undefined));

const allowedFallback = new Map(
  readCorpusJson<{ entries: { program: string; reason: string }[] }>('fallback-allowed.json').entries.map((e) => [e.program, e.reason]),
);

// ---------------------------------------------------------------------------------------------
// Running one pair

/** Result of one pair on the compiled side, beyond its outcome. */
interface CompiledRun {
  outcome: JqOutcome;
  usesFallback: boolean;
  /** A throw that is not an ExpressionError (a crash of the compiled code). */
  crash?: string;
  mutatedInput: boolean;
  /** What `evaluate` (the first output, the value a workflow uses) gave. */
  first: { ok: true; value: unknown } | { ok: false; message: string };
}

function runCompiled(p: Pair): CompiledRun {
  let compiled: ReturnType<typeof compileExpression>;
  try {
    compiled = compileExpression(p.program);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { outcome: errorOutcome(e, true), usesFallback: false, crash: crashText(e), mutatedInput: false, first: { ok: false, message } };
  }
  const before = canonical(p.input, true);
  let outcome: JqOutcome;
  let crash: string | undefined;
  try {
    outcome = { ok: true, outputs: compiled.evaluateAll(p.input, p.vars ?? {}) };
  } catch (e) {
    outcome = errorOutcome(e, false);
    crash = crashText(e);
  }
  let first: CompiledRun['first'];
  try {
    first = { ok: true, value: compiled.evaluate(p.input, p.vars ?? {}) };
  } catch (e) {
    first = { ok: false, message: e instanceof Error ? e.message : String(e) };
    crash ??= crashText(e);
  }
  return { outcome, usesFallback: compiled.usesFallback, crash, mutatedInput: canonical(p.input, true) !== before, first };
}

/**
 * `evaluate` must give jq's first output (stopping there, so a later error does not matter), `null`
 * when jq has no output, and throw when jq fails before its first output. Undefined: not checked.
 */
function evaluateProblem(o: JqOutcome, first: CompiledRun['first']): string | undefined {
  if (o.outputs.length > 0) {
    if (!first.ok) return `evaluate() threw (${first.message.split('\n')[0]}) where jq's first output is ${canonical(o.outputs[0], true)}`;
    const same = compareOutcomes({ ok: true, outputs: [o.outputs[0]] }, { ok: true, outputs: [first.value] });
    return same === Verdict.Differ ? `evaluate() gave ${canonical(first.value, true)}, jq's first output is ${canonical(o.outputs[0], true)}` : undefined;
  }
  if (o.ok) return first.ok && first.value === null ? undefined : `evaluate() gave ${first.ok ? canonical(first.value, true) : 'an error'} where jq has no output (want null)`;
  return first.ok ? `evaluate() gave ${canonical(first.value, true)} where jq fails` : undefined;
}

function errorOutcome(e: unknown, compileError: boolean): JqOutcome {
  const message = e instanceof Error ? e.message : String(e);
  return { ok: false, outputs: [], message, compileError };
}

function crashText(e: unknown): string | undefined {
  return e instanceof ExpressionError ? undefined : `${e instanceof Error ? e.name : typeof e}: ${String(e instanceof Error ? e.message : e)}`;
}

/** jq's message without its location prefix, for a loose comparison with the compiled message. */
function coreMessage(message: string): string {
  return message
    .split('\n')[0]
    .replace(/^jq: error(?: \(at [^)]*\))?(?: \(not a string\))?: /, '')
    .replace(/ at <top-level>, line \d+, column \d+:$/, '')
    .trim();
}

/** Tally of one category. */
interface Tally {
  pairs: number;
  same: number;
  /** Same up to 2 ulp in some number (libm vs V8 Math): allowed, reported. */
  ulp: number;
  bothError: number;
  messageDiffers: number;
  knownDiffer: number;
  newDiffer: number;
  fallback: number;
}

interface Failure {
  pair: Pair;
  oracle: JqOutcome;
  compiled: CompiledRun;
  problem: string;
  known?: KnownFailure;
}

interface SuiteResult {
  tallies: Map<string, Tally>;
  failures: Failure[];
  disagreements: Failure[];
  staleKnown: Pair[];
  /** Programs of fallback-allowed.json that ran here and compiled (their entry can go). */
  staleFallback: string[];
  manualMismatches: string[];
  ulpPairs: string[];
  /** Pairs where both sides fail with different messages: `program: jq "…" vs "…"`. */
  messageSamples: string[];
}

const FALLBACK_PROBLEM = 'ran via the jq-wasm fallback (not in fallback-allowed.json)';

function runPairs(oracle: Oracle, pairs: Pair[]): SuiteResult {
  const r: SuiteResult = { tallies: new Map(), failures: [], disagreements: [], staleKnown: [], staleFallback: [], manualMismatches: [], ulpPairs: [], messageSamples: [] };
  for (const p of pairs) {
    let t = r.tallies.get(p.category);
    if (!t) r.tallies.set(p.category, (t = { pairs: 0, same: 0, ulp: 0, bothError: 0, messageDiffers: 0, knownDiffer: 0, newDiffer: 0, fallback: 0 }));
    t.pairs++;
    const o = oracle.run(p.program, p.input, p.vars);
    if (p.expected && !p.oracleDiffers) {
      const manual: JqOutcome = { ok: true, outputs: p.expected };
      if (compareOutcomes(o, manual, p.keyOrder) !== Verdict.Same) {
        r.manualMismatches.push(`${p.program}  on ${canonical(p.input, true)}: manual ${describeOutcome(manual)}, jq 1.8.2 ${describeOutcome(o)}`);
      }
    }
    const c = runCompiled(p);
    const known = findKnown(p);
    if (c.usesFallback) t.fallback++;
    const problems: string[] = [];
    const verdict = compareOutcomes(o, c.outcome, p.keyOrder);
    if (verdict === Verdict.Same) t.same++;
    if (verdict === Verdict.Ulp) {
      t.ulp++;
      r.ulpPairs.push(`${p.program} on ${canonical(p.input, true)}: jq ${describeOutcome(o)}, compiled ${describeOutcome(c.outcome)}`);
    }
    if (verdict === Verdict.BothError) {
      t.bothError++;
      if (!c.outcome.ok && !o.ok && !c.outcome.message.includes(coreMessage(o.message))) {
        t.messageDiffers++;
        r.messageSamples.push(`${p.program}: jq "${coreMessage(o.message)}" vs "${c.outcome.message.split('\n')[0]}"`);
      }
    }
    if (verdict === Verdict.Differ) problems.push('outputs differ');
    if (c.crash && !(c.outcome.ok === false && c.outcome.compileError && o.ok === false && o.compileError)) {
      problems.push(`compiled code threw a non-ExpressionError (${c.crash})`);
    }
    if (c.mutatedInput) problems.push('compiled evaluation mutated its input');
    // Only where evaluateAll agrees: otherwise the outputs differ already and this would repeat it.
    const firstProblem = verdict === Verdict.Differ ? undefined : evaluateProblem(o, c.first);
    if (firstProblem) problems.push(firstProblem);
    if (c.usesFallback && !allowedFallback.has(p.program)) problems.push(FALLBACK_PROBLEM);
    if (problems.length === 0) {
      if (known) r.staleKnown.push(p);
      continue;
    }
    const f: Failure = { pair: p, oracle: o, compiled: c, problem: problems.join('; '), known };
    r.disagreements.push(f);
    if (known) t.knownDiffer++;
    else {
      t.newDiffer++;
      r.failures.push(f);
    }
  }
  const fellBack = new Set(pairs.map((p) => p.program).filter((prog) => allowedFallback.has(prog) && compileExpression(prog).usesFallback));
  r.staleFallback = [...new Set(pairs.map((p) => p.program))].filter((prog) => allowedFallback.has(prog) && !fellBack.has(prog));
  return r;
}

function describeFailure(f: Failure): string {
  const vars = f.pair.vars ? `\n  vars:     ${canonical(f.pair.vars, true)}` : '';
  return [
    `[${f.pair.category}] ${f.problem}`,
    `  program:  ${f.pair.program.includes('\n') ? JSON.stringify(f.pair.program) : f.pair.program}`,
    `  input:    ${canonical(f.pair.input, true)}${vars}`,
    `  oracle:   ${describeOutcome(f.oracle)}`,
    `  compiled: ${describeOutcome(f.compiled.outcome)}${f.compiled.usesFallback ? ' (via fallback)' : ''}`,
  ].join('\n');
}

function tallyTable(title: string, r: SuiteResult): string {
  const rows = [`${title}`, 'category           pairs  same  ulp  both-error (msg differs)  known-differ  NEW-differ  fallback'];
  const total: Tally = { pairs: 0, same: 0, ulp: 0, bothError: 0, messageDiffers: 0, knownDiffer: 0, newDiffer: 0, fallback: 0 };
  const row = (name: string, t: Tally): string =>
    `${name.padEnd(18)} ${String(t.pairs).padStart(5)} ${String(t.same).padStart(5)} ${String(t.ulp).padStart(4)} ${String(t.bothError).padStart(11)} (${t.messageDiffers})`.padEnd(54) +
    `${String(t.knownDiffer).padStart(13)} ${String(t.newDiffer).padStart(11)} ${String(t.fallback).padStart(9)}`;
  for (const [name, t] of [...r.tallies].sort()) {
    rows.push(row(name, t));
    for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
  }
  rows.push(row('TOTAL', total));
  return rows.join('\n');
}

const disagreementLog: { title: string; r: SuiteResult }[] = [];

function report(title: string, r: SuiteResult): void {
  disagreementLog.push({ title, r });
  console.log(tallyTable(title, r));
  if (r.staleKnown.length > 0) {
    console.log(`known failures that now agree (remove them from known-failures.json):\n  ${r.staleKnown.map((p) => `${p.program} on ${canonical(p.input, true)}`).join('\n  ')}`);
  }
  if (r.staleFallback.length > 0) {
    console.log(`allowed fallbacks that now compile (remove them from fallback-allowed.json):\n  ${r.staleFallback.join('\n  ')}`);
  }
  if (r.messageSamples.length > 0) console.log(`error messages that differ (first 15 of ${r.messageSamples.length}):\n  ${r.messageSamples.slice(0, 15).join('\n  ')}`);
}

function writeDisagreements(): void {
  if (process.env.SWIRL_JQ_DISAGREEMENTS !== '1') return;
  const lines = [
    '# jq differential disagreements',
    '',
    'Written by `SWIRL_JQ_DISAGREEMENTS=1 npm test -- expressions/differential` (test/expressions/differential.test.ts).',
    'Each entry: program, input, what jq 1.8.2 (jq-wasm) gives and what the compiled expression gives.',
    'Entries marked KNOWN are listed in test/expressions/corpus/known-failures.json with a reason.',
    'A deliberate difference belongs in src/expressions/DEVIATIONS.md (one `##` heading each, naming the programs',
    'or constructs it affects); the corpus turns each into a `deviation` entry of known-failures.json citing it.',
    'Numbers are compared as jq prints them (NaN as null, ±infinity as ±1.7976931348623157e+308, -0 kept);',
    'object key order is ignored unless the case sets keyOrder. Error messages need not match (counted only).',
    '',
  ];
  for (const { title, r } of disagreementLog) {
    lines.push(`## ${title}`, '', '```', tallyTable(title, r), '```', '');
    const fallbackOnly = r.disagreements.filter((f) => f.problem === FALLBACK_PROBLEM);
    const real = r.disagreements.filter((f) => f.problem !== FALLBACK_PROBLEM);
    lines.push(`### Different results (${real.length} pairs)`, '');
    for (const f of real) {
      lines.push('```', describeFailure(f) + (f.known ? `\n  KNOWN (${f.known.kind}): ${f.known.reason}` : ''), '```', '');
    }
    if (fallbackOnly.length > 0) {
      const byProgram = new Map<string, number>();
      for (const f of fallbackOnly) byProgram.set(f.pair.program, (byProgram.get(f.pair.program) ?? 0) + 1);
      lines.push(`### Same results, but via the jq-wasm fallback (${fallbackOnly.length} pairs, ${byProgram.size} programs)`, '', '```');
      for (const [program, n] of byProgram) lines.push(`${program}${n > 1 ? `   (${n} inputs)` : ''}`);
      lines.push('```', '');
    }
    if (r.messageSamples.length > 0) {
      lines.push(`### Both fail, with different error messages (${r.messageSamples.length} pairs; not a failure)`, '', '```', ...r.messageSamples, '```', '');
    }
    if (r.ulpPairs.length > 0) {
      lines.push(`### Allowed: numbers within 2 ulp (${r.ulpPairs.length} pairs, libm vs V8 Math)`, '', '```', ...r.ulpPairs, '```', '');
    }
  }
  writeFileSync(new URL('./DISAGREEMENTS.md', import.meta.url), lines.join('\n'));
  // Machine-readable copy, for maintaining known-failures.json and fallback-allowed.json.
  const jsonPath = process.env.SWIRL_JQ_DISAGREEMENTS_JSON;
  if (jsonPath) {
    const all = disagreementLog.flatMap(({ r }) =>
      r.disagreements.map((f) => ({
        category: f.pair.category,
        program: f.pair.program,
        input: f.pair.input,
        problem: f.problem,
        fallbackOnly: f.problem === FALLBACK_PROBLEM,
        known: f.known?.kind,
        oracle: describeOutcome(f.oracle),
        compiled: describeOutcome(f.compiled.outcome),
      })),
    );
    writeFileSync(jsonPath, JSON.stringify(all, null, 1));
  }
}

// ---------------------------------------------------------------------------------------------
// The tests

const oracle = await loadOracle();
await initExpressions();

test('the oracle is jq 1.8.2', () => {
  assert.equal(oracle.version, 'jq-1.8.2');
});

test('corpus: compiled jq agrees with jq 1.8.2 on every (program, input) pair', () => {
  const pairs = loadCorpus();
  assert.ok(pairs.length >= 1000, `the corpus has ${pairs.length} pairs, fewer than 1,000`);
  const r = runPairs(oracle, pairs);
  report(`corpus (${pairs.length} pairs)`, r);
  assert.deepEqual(r.manualMismatches, [], 'jq 1.8.2 disagrees with the documented outputs (mark the case with oracleDiffers and a reason)');
  assert.equal(r.failures.length, 0, `${r.failures.length} pairs disagree:\n\n${r.failures.map(describeFailure).join('\n\n')}`);
});

test('random programs: compiled jq agrees with jq 1.8.2', () => {
  const seed = Number(process.env.SWIRL_JQ_SEED ?? DEFAULT_SEED);
  const count = Number(process.env.SWIRL_JQ_COUNT ?? 500);
  const pairs: Pair[] = generatePairs(seed, count).map((g) => ({ category: `random:${g.shape}`, program: g.program, input: g.input, keyOrder: false }));
  const r = runPairs(oracle, pairs);
  report(`random programs (seed ${seed}, ${pairs.length} programs)`, r);
  assert.equal(r.failures.length, 0, `seed ${seed}: ${r.failures.length} programs disagree:\n\n${r.failures.map(describeFailure).join('\n\n')}`);
});

test('coverage: every jq 1.8.2 builtin appears in at least two corpus pairs', () => {
  const builtins = oracle.run('builtins | sort | .[]', null);
  assert.ok(builtins.ok);
  const excluded = new Map(
    readCorpusJson<{ entries: { builtin: string; reason: string }[] }>('builtins-excluded.json').entries.map((e) => [e.builtin, e.reason]),
  );
  const programs = loadCorpus().map((p) => p.program);
  const arities = new Map<string, number>();
  for (const b of builtins.outputs as string[]) {
    if (excluded.has(b)) continue;
    const name = b.slice(0, b.lastIndexOf('/'));
    arities.set(name, (arities.get(name) ?? 0) + 1);
  }
  // By name: jq's grammar does not make arity visible to a regex, so a name with n arities needs 2n pairs.
  const missing: string[] = [];
  for (const [name, n] of arities) {
    const word = new RegExp(`(^|[^A-Za-z0-9_$.@])${name}($|[^A-Za-z0-9_])`);
    const uses = programs.filter((p) => word.test(p)).length;
    if (uses < 2 * n) missing.push(`${name} (${uses} pairs, wants ${2 * n})`);
  }
  assert.deepEqual(missing, [], 'builtins without enough corpus pairs');
});

test('harness: jq-style comparison of outcomes (numbers as jq prints them, key order, errors)', () => {
  const ok = (...outputs: unknown[]): JqOutcome => ({ ok: true, outputs });
  const err: JqOutcome = { ok: false, outputs: [], message: 'x', compileError: false };
  assert.equal(compareOutcomes(ok(NaN), ok(null)), Verdict.Same, 'nan prints as null');
  assert.equal(compareOutcomes(ok(Infinity), ok(Number.MAX_VALUE)), Verdict.Same, 'infinite prints as the largest double');
  assert.equal(compareOutcomes(ok(-0), ok(0)), Verdict.Differ, '-0 prints as -0');
  assert.equal(compareOutcomes(ok({ a: 1, b: 2 }), ok({ b: 2, a: 1 })), Verdict.Same);
  assert.equal(compareOutcomes(ok({ a: 1, b: 2 }), ok({ b: 2, a: 1 }), true), Verdict.Differ, 'keyOrder compares insertion order');
  assert.equal(compareOutcomes(ok(1.762747174039086), ok(1.7627471740390859)), Verdict.Ulp);
  assert.equal(compareOutcomes(ok(1, 2), ok(2, 1)), Verdict.Differ, 'output order matters');
  assert.equal(compareOutcomes(ok(1), ok(1, 1)), Verdict.Differ);
  assert.equal(compareOutcomes(err, err), Verdict.BothError);
  assert.equal(compareOutcomes(ok(), err), Verdict.Differ, 'no output is not an error');
});

test('harness: the generator is deterministic per seed', () => {
  assert.deepEqual(generatePairs(7, 50), generatePairs(7, 50));
  assert.notDeepEqual(generatePairs(7, 50), generatePairs(8, 50));
  const programs = generatePairs(DEFAULT_SEED, 500).map((g) => g.program);
  assert.ok(new Set(programs).size > 400, 'programs are varied');
});

test.after(() => writeDisagreements());
