/**
 * @module errors
 * The three error families of DESIGN.md §5 on one base with stable string codes:
 * DefinitionError (load time), WorkflowError (business, catchable by onErrors) and
 * InfrastructureError (store/network, retried by the engine), plus NonDeterminismError.
 */

/** Base of every error Swirl raises on purpose. `code` is stable and meant for programs. */
export class SwirlError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwirlError';
    this.code = code;
  }
}

/** An invalid workflow document or option; reported at load, never at run time. */
export class DefinitionError extends SwirlError {
  /** Structured diagnostics behind the message, when there are any. */
  readonly diagnostics: readonly unknown[];
  constructor(code: string, message: string, diagnostics: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DefinitionError';
    this.diagnostics = diagnostics;
  }
}

/**
 * Workflow input refused before an instance starts (not a JSON object, or not matching
 * `dataInputSchema` with failOnValidationErrors): nothing was started. Code `INVALID_INPUT`.
 */
export class InvalidInputError extends SwirlError {
  /** Each problem: a JSON pointer into the input (`''` for the whole input) and a message. */
  readonly problems: readonly { pointer: string; message: string }[];
  constructor(message: string, problems: readonly { pointer: string; message: string }[], options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
    this.problems = problems;
  }
}

/** Serialized form of a WorkflowError as it is written to history. */
export interface WorkflowErrorData {
  name: string;
  code: string;
  message: string;
  details?: unknown;
  nonRetryable?: boolean;
}

/** A business failure that a workflow's `onErrors` may catch. */
export class WorkflowError extends SwirlError {
  readonly details: unknown;
  readonly nonRetryable: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; details?: unknown; nonRetryable?: boolean; name?: string }) {
    super(code, message, options);
    this.name = options?.name ?? 'WorkflowError';
    this.details = options?.details;
    this.nonRetryable = options?.nonRetryable ?? false;
  }

  toJSON(): WorkflowErrorData {
    const data: WorkflowErrorData = { name: this.name, code: this.code, message: this.message };
    if (this.details !== undefined) data.details = this.details;
    if (this.nonRetryable) data.nonRetryable = true;
    return data;
  }
}

/** Store or network trouble: retried by the engine, never visible to `onErrors`. */
export class InfrastructureError extends SwirlError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'InfrastructureError';
  }
}

/** A replay that does not match the recorded history (usually: code or definition changed under a running instance). */
export class NonDeterminismError extends SwirlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NON_DETERMINISM', message, options);
    this.name = 'NonDeterminismError';
  }
}

/** Exhaustiveness guard for switches over unions: a new member must break compilation. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
