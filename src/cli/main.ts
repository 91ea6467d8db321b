/**
 * @module cli/main
 * `swirl` command line: a thin shell over the public API in src/index.ts.
 */
import { VERSION } from '../index.js';

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  process.stderr.write('usage: swirl <command>\n');
  return 2;
}
