/**
 * @module expressions/runtime
 * Control-flow signals of compiled jq: jq errors (carrying the jq error value), `break $label`,
 * the early stop of `limit`/`first`, and the compile-time "not supported, use the fallback" signal.
 */
import { toJson } from './values.js';

/** A jq runtime error. `value` is what `catch` sees; `message` follows jq 1.8's wording. */
export class JqError extends Error {
  constructor(readonly value: unknown) {
    super(typeof value === 'string' ? value : `${toJson(value)} (not a string)`);
    this.name = 'JqError';
  }
}

/** Raises a jq error with a message string. */
export function fail(message: string): never {
  throw new JqError(message);
}

/** `break $label` (and the early exits of limit/first), caught by the frame that owns `label`. */
export class BreakSignal {
  constructor(readonly label: object) {}
}

/** Ends an evaluation after its first output (`evaluate`); unlike `break`, nothing may catch it. */
export class StopSignal {}

/** An error thrown downstream of a `try` body, passed through that `try` untouched. */
export class Passthrough {
  constructor(
    readonly owner: object,
    readonly error: unknown,
  ) {}
}

/** Thrown at compile time for a construct the compiler does not support; the fallback takes over. */
export class Unsupported extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'Unsupported';
  }
}
