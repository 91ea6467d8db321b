/**
 * @module cli/client/client-command
 * What every client command (`swirl instances …`, `swirl workflows …`) shares: the connection
 * flags, `-o`, and one place that turns a {@link ClientError} into a message on stderr and its
 * exit code — so each command's action is only its request and its output.
 */
import type { Command } from 'commander';
import { ExitCode, setExitCode } from '../exit.js';
import { ClientError } from './client-error.js';
import { connectionFrom, DEFAULT_URL, type ConnectionFlags } from './connection.js';
import { ApiClient } from './http.js';
import { parseOutputFormat, type OutputFormat } from './output.js';

/** The flags {@link clientCommand} adds. */
export interface ClientFlags extends ConnectionFlags {
  output: string;
}

/** What an action gets: the server, the output format, its own command. */
export interface ClientContext {
  api: ApiClient;
  format: OutputFormat;
  command: Command;
}

/** Adds a client subcommand to `parent`, with --url, --api-token-file and -o. */
export function clientCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--url <url>', `Swirl server URL (default: $SWIRL_URL, else ${DEFAULT_URL})`)
    .option('--api-token-file <file>', 'file holding the API token (default: $SWIRL_API_TOKEN)')
    .option('-o, --output <format>', 'output: table (for people), json or yaml (for scripts)', 'table');
}

/** `swirl instances list`, for messages. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Runs a client action: resolves the connection and format (usage errors exit 2), then `body`,
 * whose result is the exit code (Ok when it returns nothing). A ClientError prints as
 * `swirl instances list: <message>` and exits with its code; anything else is a bug and throws.
 */
export async function runClient(command: Command, flags: ClientFlags, body: (ctx: ClientContext) => Promise<ExitCode | void>): Promise<void> {
  try {
    const ctx: ClientContext = { api: new ApiClient(connectionFrom(flags)), format: parseOutputFormat(flags.output), command };
    setExitCode(command, (await body(ctx)) ?? ExitCode.Ok);
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    process.stderr.write(`${fullName(command)}: ${err.message}\n`);
    setExitCode(command, err.exitCode);
  }
}
