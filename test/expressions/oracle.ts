/**
 * @module test/expressions/oracle
 * The jq 1.8.2 oracle for the differential tests (jq-wasm 3.0.0-jq-1.8.2), and the comparison of
 * two jq results with jq's own notion of "the same output".
 */
import { loadJq, type Jq } from 'jq-wasm';

/** One run of a program on one input: every output in order, or an error after some outputs. */
export type JqOutcome =
  | { readonly ok: true; readonly outputs: readonly unknown[] }
  | {
      readonly ok: false;
      /** Outputs printed before the error (jq streams them; a compiled `evaluateAll` throws instead). */
      readonly outputs: readonly unknown[];
      readonly message: string;
      /** True for a compile (syntax/undefined name) error, jq's exit code 3. */
      readonly compileError: boolean;
    };

/** Variables passed as `$name` (`--argjson name <json>`), e.g. `CONST`, `SECRETS`. */
export type JqVars = Readonly<Record<string, unknown>>;

/** A loaded jq-wasm handle with a test-friendly, non-throwing `run`. */
export interface Oracle {
  /** jq's version string, e.g. `jq-1.8.2`. */
  readonly version: string;
  run(program: string, input: unknown, vars?: JqVars): JqOutcome;
}

let handle: Promise<Jq> | undefined;

/** Loads jq-wasm once per process (~100 ms) and wraps it. */
export async function loadOracle(): Promise<Oracle> {
  handle ??= loadJq();
  const jq = await handle;
  return {
    version: jq.version,
    run(program, input, vars) {
      const flags = ['-c'];
      for (const [name, value] of Object.entries(vars ?? {})) {
        flags.push('--argjson', name, canonical(value, true));
      }
      // A JS string given to jq-wasm is taken as raw JSON text, so every input goes in as text;
      // canonical() rather than JSON.stringify keeps -0 (jq reads `-0` as negative zero, as JSON.parse does).
      const r = jq.raw(canonical(input, true), program, flags);
      const outputs = r.stdout === '' ? [] : r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
      // `debug`/`stderr` write to stderr and exit 0: success is the exit code, not an empty stderr.
      if (r.exitCode === 0) return { ok: true, outputs };
      return { ok: false, outputs, message: r.stderr.trim(), compileError: r.exitCode === 3 };
    },
  };
}

/**
 * Canonical text of a jq value as jq would print it, for comparison: numbers as IEEE doubles
 * (NaN prints as `null`, ±infinity as ±1.7976931348623157e+308, -0 stays `-0`), object keys sorted
 * unless `keepKeyOrder` (jq keeps insertion order; most programs are not about order).
 */
export function canonical(value: unknown, keepKeyOrder = false): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return canonicalNumber(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonical(v, keepKeyOrder)).join(',')}]`;
      const keys = Object.keys(value as object);
      if (!keepKeyOrder) keys.sort();
      const rec = value as Record<string, unknown>;
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(rec[k], keepKeyOrder)}`).join(',')}}`;
    }
    default:
      // A function, symbol or bigint is not a jq value: make it visible in a failure report.
      return `<non-JSON ${typeof value}: ${String(value)}>`;
  }
}

function canonicalNumber(n: number): string {
  if (Number.isNaN(n)) return 'null';
  if (n === Infinity || n === Number.MAX_VALUE) return '1.7976931348623157e+308';
  if (n === -Infinity || n === -Number.MAX_VALUE) return '-1.7976931348623157e+308';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

/** How a compiled result relates to the oracle's. */
export const Verdict = {
  /** Same outputs in the same order. */
  Same: 'same',
  /** Both raised an error (the messages may still differ: see `messageDiffers`). */
  BothError: 'both-error',
  /**
   * Same outputs except numbers that differ by at most 2 ulp: jq's math builtins are C libm (musl in
   * jq-wasm) and JS's are V8's; both are correct to about 1 ulp and the results need not be identical.
   * Counted and reported on its own, not a failure.
   */
  Ulp: 'ulp',
  /** Different outputs, or an error on one side only. */
  Differ: 'differ',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Compares two outcomes with jq semantics (see {@link canonical}). */
export function compareOutcomes(oracle: JqOutcome, compiled: JqOutcome, keepKeyOrder = false): Verdict {
  if (!oracle.ok && !compiled.ok) return Verdict.BothError;
  if (oracle.ok !== compiled.ok) return Verdict.Differ;
  const a = oracle.outputs.map((v) => canonical(v, keepKeyOrder));
  const b = compiled.outputs.map((v) => canonical(v, keepKeyOrder));
  if (a.length === b.length && a.every((x, i) => x === b[i])) return Verdict.Same;
  const near = oracle.outputs.length === compiled.outputs.length && oracle.outputs.every((v, i) => nearlyEqual(v, compiled.outputs[i], keepKeyOrder));
  return near ? Verdict.Ulp : Verdict.Differ;
}

/** Structural equality where numbers may differ by 2 ulp (see Verdict.Ulp). */
function nearlyEqual(x: unknown, y: unknown, keepKeyOrder: boolean): boolean {
  if (typeof x === 'number' && typeof y === 'number') {
    if (canonicalNumber(x) === canonicalNumber(y)) return true;
    // Zeros never qualify: -0 and 0 print differently, and a result of 0 has no ulp to spare.
    if (x === 0 || y === 0) return false;
    return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 2 * Number.EPSILON * Math.max(Math.abs(x), Math.abs(y));
  }
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => nearlyEqual(v, y[i], keepKeyOrder));
  if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (!keepKeyOrder) {
      kx.sort();
      ky.sort();
    }
    const ox = x as Record<string, unknown>;
    const oy = y as Record<string, unknown>;
    return kx.length === ky.length && kx.every((k, i) => k === ky[i] && nearlyEqual(ox[k], oy[k], keepKeyOrder));
  }
  return canonical(x, keepKeyOrder) === canonical(y, keepKeyOrder);
}

/** One-line rendering of an outcome for failure reports. */
export function describeOutcome(o: JqOutcome): string {
  const outs = o.outputs.map((v) => canonical(v, true)).join(', ');
  if (o.ok) return `outputs [${outs}]`;
  const first = o.message.split('\n')[0];
  return `${o.compileError ? 'compile error' : 'error'}${outs ? ` after [${outs}]` : ''}: ${first}`;
}
