/**
 * @module cli/exit
 * Exit codes shared by every command, reported without process.exit so the CLI is testable in-process.
 */
import type { Command } from 'commander';

/**
 * 0 ok, 1 the input is invalid or the run failed, 2 usage error, 3 (`serve`) the store failed
 * fatally (a failed fsync): restart the process — a supervisor should, and nothing acknowledged
 * was lost.
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, StoreFailed: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Records the exit code of the running command; `main` returns it. */
export function setExitCode(command: Command, code: ExitCode): void {
  command.setOptionValue('__exitCode', code);
}
