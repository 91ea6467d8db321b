/**
 * @module expressions/budget
 * The deterministic budget of one evaluation. Compiled code spends one step at every place where
 * work can repeat without bound — each `def` call, each loop iteration (`until`, `while`, `repeat`,
 * `range`, `recurse`), each value `.[]` yields — and checks the length of the arrays and strings it
 * builds. Everything else is bounded by the size of the expression and of its input. The same
 * expression on the same input spends the same steps, so a replay reaches the same outcome.
 * Exceeding a limit throws {@link LimitExceeded}, which `try`/`catch` in jq cannot catch.
 */

/** The limits of one evaluation (per server; see {@link setExpressionLimits}). */
export interface ExpressionLimits {
  /** Steps one evaluation may spend (def calls, loop iterations, iterated values). */
  readonly steps: number;
  /** Longest array an evaluation may build (`[…]`, `range`, `map`, string splits). */
  readonly collectionLength: number;
  /** Longest string an evaluation may build, in UTF-16 code units. */
  readonly stringLength: number;
  /** Wall-clock bound of one evaluation on the jq-wasm fallback, in ms (not step-counted: see specs/expressions.md). */
  readonly fallbackTimeMs: number;
  /** Wall-clock bound of one regex search that could backtrack exponentially (run off the main thread), in ms. */
  readonly regexTimeMs: number;
}

/** Defaults: generous for workflow data (a few ms of work), far below what stalls a server. */
export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  steps: 10_000_000,
  collectionLength: 1_000_000,
  stringLength: 16 * 1024 * 1024,
  fallbackTimeMs: 2000,
  regexTimeMs: 1000,
};

/** Which limit an evaluation hit. */
export type LimitKind = 'steps' | 'collectionLength' | 'stringLength' | 'fallbackTimeMs' | 'regexTimeMs';

/** Thrown when an evaluation exceeds a limit; passes through jq's `try` untouched. */
export class LimitExceeded {
  constructor(
    readonly kind: LimitKind,
    readonly limit: number,
  ) {}
}

let limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS;
/** Steps left in the running evaluation; a field of one object so hot paths do one decrement. */
const meter = { left: DEFAULT_EXPRESSION_LIMITS.steps };

/** Replaces the limits (unset fields keep their defaults). Throws RangeError on a non-positive value. */
export function setExpressionLimits(next: Partial<ExpressionLimits>): void {
  const merged = { ...DEFAULT_EXPRESSION_LIMITS, ...next };
  for (const [k, v] of Object.entries(merged)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`expression limit ${k} must be a positive number, got ${String(v)}`);
  }
  limits = merged;
}

/** The limits in force. */
export function expressionLimits(): ExpressionLimits {
  return limits;
}

/** Starts an evaluation's budget; returns what to hand back to {@link endBudget} (evaluations may nest). */
export function startBudget(): number {
  const saved = meter.left;
  meter.left = limits.steps;
  return saved;
}

/** Restores the budget of an enclosing evaluation. */
export function endBudget(saved: number): void {
  meter.left = saved;
}

/** Spends one step. */
export function step(): void {
  if (--meter.left < 0) throw new LimitExceeded('steps', limits.steps);
}

/** Checks the length of an array being built. */
export function checkLength(n: number): void {
  if (n > limits.collectionLength) throw new LimitExceeded('collectionLength', limits.collectionLength);
}

/** Checks the length of a string about to be built. */
export function checkStringLength(n: number): void {
  if (n > limits.stringLength) throw new LimitExceeded('stringLength', limits.stringLength);
}

/** Human wording of a limit, for error messages. */
export function describeLimit(e: LimitExceeded): string {
  switch (e.kind) {
    case 'steps':
      return `more than ${e.limit.toLocaleString('en-US')} evaluation steps`;
    case 'collectionLength':
      return `an array longer than ${e.limit.toLocaleString('en-US')} elements`;
    case 'stringLength':
      return `a string longer than ${e.limit.toLocaleString('en-US')} characters`;
    case 'fallbackTimeMs':
      return `more than ${e.limit} ms on the jq-wasm fallback`;
    case 'regexTimeMs':
      return `more than ${e.limit} ms in one regex search (a pattern that backtracks heavily on this input)`;
  }
}
