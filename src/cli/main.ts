/**
 * @module cli/main
 * `swirl` command line: a thin shell over the public API in src/index.ts. Each command lives in
 * its own file under commands/ and registers itself on the commander program.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../index.js';
import { registerEval } from './commands/eval.js';
import { registerGraph } from './commands/graph.js';
import { registerInstances } from './commands/instances.js';
import { registerMigrate } from './commands/migrate.js';
import { registerServe } from './commands/serve.js';
import { registerRun } from './commands/run.js';
import { registerValidate } from './commands/validate.js';
import { registerWorkflows } from './commands/workflows.js';
import { ExitCode } from './exit.js';


/**
 * Flags that take no value, with what to say when one is given one (`--wait 10s`): commander
 * reports only "too many arguments", which does not name the flag.
 */
const VALUELESS_FLAGS: Readonly<Record<string, string>> = {
  '--wait': '--wait takes no value: it waits until the instance finishes (Ctrl-C stops waiting; the instance goes on on the server)',
};

/** The hint for "too many arguments" when a valueless flag is followed by a word, else undefined. */
function excessArgumentHint(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a, at) => Object.hasOwn(VALUELESS_FLAGS, a) && argv[at + 1]?.startsWith('-') === false);
  return i < 0 ? undefined : VALUELESS_FLAGS[argv[i]!];
}

/** Builds the commander program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('swirl')
    .description('Swirl: a durable Serverless Workflow 0.8 engine')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Commands register here, one line each (src/cli/commands/*.ts).
  registerEval(program);
  registerValidate(program);
  registerGraph(program);
  registerServe(program);
  registerRun(program);
  registerInstances(program);
  registerWorkflows(program);
  registerMigrate(program);
  return program;
}

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let exitCode: number = ExitCode.Ok;
  program.hook('postAction', (_thisCommand, actionCommand) => {
    const code = actionCommand.getOptionValue('__exitCode');
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were already printed.
      if (err.code === 'commander.excessArguments') {
        const hint = excessArgumentHint(argv);
        if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
      }
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    throw err;
  }
  return exitCode;
}
