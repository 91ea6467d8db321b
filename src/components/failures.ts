/**
 * @module components/failures
 * How component problems become Swirl's typed errors: a bad component file is a DefinitionError
 * whose diagnostics name the file, line and field; a remote that answered with an error status is
 * a WorkflowError coded by that status (so `onErrors` can match "404"); everything network-shaped
 * is an InfrastructureError (the engine retries it).
 */
import { DefinitionError, InfrastructureError, WorkflowError } from '../errors.js';

/** Where a component file problem sits. `line` is 1-based when known. */
export interface ComponentDiagnostic {
  severity: 'error';
  code: string;
  file: string;
  line?: number;
  /** Dotted path of the offending field: `spec.type`, `spec.metadata.redisHost`. */
  field: string;
  message: string;
}

/** Stable codes of component file diagnostics. */
export const ComponentErrorCode = {
  /** YAML that does not parse, or a document that is not a Component. */
  Invalid: 'COMPONENT_INVALID',
  /** `spec.type` names a type Swirl does not implement. */
  UnknownType: 'COMPONENT_UNKNOWN_TYPE',
  /** A required `spec.metadata` entry is absent or empty. */
  MissingMetadata: 'COMPONENT_MISSING_METADATA',
  /** A metadata value has the wrong shape (not a number, not a bool, bad URL …). */
  BadMetadata: 'COMPONENT_BAD_METADATA',
  /** The broker/database/service named in the file could not be reached at start. */
  Unreachable: 'COMPONENT_UNREACHABLE',
  /** Two component files with the same `metadata.name`. */
  Duplicate: 'COMPONENT_DUPLICATE',
  /** A `secretKeyRef` that no secret store resolves. */
  SecretNotFound: 'COMPONENT_SECRET_NOT_FOUND',
} as const;
export type ComponentErrorCode = (typeof ComponentErrorCode)[keyof typeof ComponentErrorCode];

/** Formats a diagnostic like a compiler: `file:line: field: message`. */
export function formatComponentDiagnostic(d: ComponentDiagnostic): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}` : d.file;
  return `${where}: ${d.field}: ${d.message}`;
}

/** One bad component file → a DefinitionError carrying the diagnostic (message = formatted diagnostic). */
export function componentError(d: Omit<ComponentDiagnostic, 'severity'>, cause?: unknown): DefinitionError {
  const diag: ComponentDiagnostic = { severity: 'error', ...d };
  return new DefinitionError(d.code, formatComponentDiagnostic(diag), [diag], cause === undefined ? undefined : { cause });
}

/** A remote error status → WorkflowError coded by the status ("404"), with the response body as details. */
export function statusError(what: string, status: number, body: unknown): WorkflowError {
  const text = typeof body === 'string' ? body : body === undefined || body === null ? '' : JSON.stringify(body);
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new WorkflowError(String(status), `${what} answered ${status}${excerpt ? `: ${excerpt}` : ''}`, {
    details: { status, body },
    // 4xx other than 408/429 will not get better by retrying; 5xx might.
    nonRetryable: status >= 400 && status < 500 && status !== 408 && status !== 429,
  });
}

/** Network trouble (refused, reset, DNS, TLS, broker down) → InfrastructureError. */
export function networkError(what: string, cause: unknown): InfrastructureError {
  return new InfrastructureError('COMPONENT_UNAVAILABLE', `${what}: ${describeCause(cause)}`, { cause });
}

/** The caller's AbortSignal fired (or the default timeout elapsed). */
export function abortError(what: string, signal: { readonly reason: unknown }): InfrastructureError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return new InfrastructureError(timedOut ? 'TIMEOUT' : 'ABORTED', `${what}: ${timedOut ? 'timed out' : 'aborted'}`, { cause: reason });
}

/** A request the component cannot serve as asked (unknown name, bad operation, missing metadata): not retryable. */
export function requestError(code: string, message: string, details?: unknown): WorkflowError {
  return new WorkflowError(code, message, { nonRetryable: true, details });
}

/** Best human text of an unknown thrown value, unwrapping AggregateError (undici, net) and `code`. */
export function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeCause(cause.errors[0]);
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const inner = (cause as { cause?: unknown }).cause;
    const msg = cause.message || (inner !== undefined ? describeCause(inner) : cause.name);
    return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(cause);
}
