/**
 * @module expressions/errors
 * The one error type the expressions module throws: compile errors (with the position in the source)
 * and jq runtime errors (with jq's message and, for `error(x)`, the structured value `x`).
 */
import { SwirlError } from '../errors.js';

/** Stable codes of {@link ExpressionError}. */
export const ExpressionErrorCode = {
  Compile: 'EXPRESSION_COMPILE',
  Runtime: 'EXPRESSION_RUNTIME',
  /** The evaluation exceeded a limit of expressions/budget (steps, array or string length, fallback time). */
  Limit: 'EXPRESSION_LIMIT',
} as const;
export type ExpressionErrorCode = (typeof ExpressionErrorCode)[keyof typeof ExpressionErrorCode];

/** Where in the expression source something happened. `line` and `column` are 1-based. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Computes the 1-based line and column of `offset` in `src`. */
export function positionAt(src: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * A jq expression failed to compile (`EXPRESSION_COMPILE`, with `position` when known) or raised an
 * error while running (`EXPRESSION_RUNTIME`). For runtime errors `value` is the jq error value: the
 * message string for built-in errors, or whatever was passed to `error(x)`.
 */
export class ExpressionError extends SwirlError {
  /** The jq source of the expression. */
  readonly expression: string;
  /** Position of the problem in `expression`, when known. */
  readonly position: SourcePosition | undefined;
  /** The jq error value (runtime errors only). */
  readonly value: unknown;
  /**
   * True when the expression is valid jq but needs the jq-wasm fallback, which was not loaded
   * (`await initExpressions()` was not called): a setup problem, not a bad expression.
   */
  readonly needsFallback: boolean;
  constructor(
    code: ExpressionErrorCode,
    message: string,
    options: { expression: string; position?: SourcePosition; value?: unknown; cause?: unknown; needsFallback?: boolean },
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExpressionError';
    this.expression = options.expression;
    this.position = options.position;
    this.value = options.value;
    this.needsFallback = options.needsFallback ?? false;
  }
}
