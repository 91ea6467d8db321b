/**
 * @module cli/client/json-argument
 * JSON given on the command line (`--input '{"a":1}'`) or read from a file (`--input @in.json`,
 * `-` after `@` reads stdin), as `swirl run` takes it. Bad JSON is a usage error naming the flag.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../exit.js';
import { ClientError } from './client-error.js';

/** Parses `text` (or the file after `@`) as JSON; `flag` names it in errors. */
export function jsonArgument(text: string, flag: string): unknown {
  let source = text;
  if (text.startsWith('@')) {
    const file = text.slice(1);
    try {
      source = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new ClientError(`${flag}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.Usage);
    }
  }
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new ClientError(`${flag} is not valid JSON: ${(err as Error).message}`, ExitCode.Usage);
  }
}
