/**
 * @module components/rpc/status
 * gRPC status codes → workflow error codes (specs/function-types.md): the code is the status name
 * (`"UNAVAILABLE"`, `"NOT_FOUND"`), which `errors` definitions match by their `code`. The statuses
 * a retry can help with are marked retryable; the others carry `nonRetryable`.
 */
import { status } from '@grpc/grpc-js';

/** Status number → name (`14` → `UNAVAILABLE`). */
const NAMES = new Map<number, string>(Object.entries(status).filter((e): e is [string, number] => typeof e[1] === 'number').map(([k, v]) => [v, k]));

/**
 * Statuses a later attempt may not see again (gRPC's own guidance, and what durabletask and Dapr
 * retry): the server was away or busy, the deadline passed, or a transaction was aborted.
 */
export const RETRYABLE_STATUSES: readonly string[] = ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'INTERNAL', 'UNKNOWN'];

/** The error code of a gRPC status number (`UNKNOWN` for one grpc-js does not name). */
export function statusName(code: number): string {
  return NAMES.get(code) ?? 'UNKNOWN';
}

/** Whether a retry may succeed where this status failed. */
export function isRetryableStatus(name: string): boolean {
  return RETRYABLE_STATUSES.includes(name);
}
