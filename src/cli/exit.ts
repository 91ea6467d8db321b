/**
 * @module cli/exit
 * Exit codes shared by every command, reported without process.exit so the CLI is testable in-process.
 * The table scripts rely on is specs/cli.md "Exit codes".
 */
import type { Command } from 'commander';

/**
 * 0 ok; 1 the input is invalid, the run or instance failed, or the server refused the command;
 * 2 usage error (a bad flag, or the server answered 400); 3 unavailable: (`serve`) the store
 * failed fatally (a failed fsync) — restart the process, nothing acknowledged was lost — or
 * (client commands) the server cannot be reached or answered 503: retry later; 4 the instance or
 * workflow does not exist; 5 the API token is missing or wrong; 130 interrupted (Ctrl-C).
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, StoreFailed: 3, Unavailable: 3, NotFound: 4, Unauthorized: 5, Interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Records the exit code of the running command; `main` returns it. */
export function setExitCode(command: Command, code: ExitCode): void {
  command.setOptionValue('__exitCode', code);
}
