/**
 * @module cli/client/client-error
 * The one failure type of the client commands: a message for people and the exit code scripts
 * rely on (specs/cli.md "Exit codes"). HTTP answers map to codes here, once.
 */
import { ExitCode } from '../exit.js';

/** A client command failed; `exitCode` says how (usage, unreachable, not found …). */
export class ClientError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The server's `errorCode`, when the server answered. */
    readonly errorCode?: string,
    /** The server's whole error body (diagnostics, problems), when it sent one. */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/**
 * The exit code of an HTTP error status: 400 means the command asked for something malformed
 * (usage), 401/403 a missing or wrong token, 404 an unknown instance or workflow, 503 a server
 * that cannot serve now (retry later, as for an unreachable one); anything else is a failure.
 */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 400) return ExitCode.Usage;
  if (status === 401 || status === 403) return ExitCode.Unauthorized;
  if (status === 404) return ExitCode.NotFound;
  if (status === 503) return ExitCode.Unavailable;
  return ExitCode.Failure;
}
