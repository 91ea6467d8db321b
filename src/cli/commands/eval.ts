/**
 * @module cli/commands/eval
 * `swirl eval '<jq>' [--input <json>|@file] [--var name=json]...`: runs a jq expression the way
 * workflows run it (compiled, jq-wasm fallback) and prints each output as compact JSON on its own
 * line. Compile errors exit 2 (with the position), runtime errors exit 1.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compileExpression, ExpressionError, initExpressions } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

function parseJsonArg(text: string, what: string): unknown {
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function collectVar(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--var expects name=json, got '${value}'`);
  const name = value.slice(0, eq);
  return { ...previous, [name]: parseJsonArg(value.slice(eq + 1), `--var ${name}`) };
}

/** Adds the `eval` command to the program. */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a jq expression as workflows do; prints each output as JSON on its own line')
    .argument('<jq>', 'the jq expression')
    .option('-i, --input <json>', 'input JSON, or @file to read it from a file', 'null')
    .option('--var <name=json>', 'bind $name to a JSON value (repeatable); @file reads the value from a file', collectVar, {})
    .action(async (jq: string, opts: { input: string; var: Record<string, unknown> }, command: Command) => {
      let input: unknown;
      try {
        input = parseJsonArg(opts.input, '--input');
      } catch (err) {
        process.stderr.write(`swirl eval: ${(err as Error).message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      await initExpressions();
      let compiled;
      try {
        compiled = compileExpression(jq);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        const at = err.position ? ` (line ${err.position.line}, column ${err.position.column})` : '';
        process.stderr.write(`swirl eval: compile error${at}: ${err.message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      try {
        for (const out of compiled.evaluateAll(input, opts.var)) process.stdout.write(`${JSON.stringify(out) ?? 'null'}\n`);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        process.stderr.write(`swirl eval: jq error: ${err.message}\n`);
        setExitCode(command, ExitCode.Failure);
      }
    });
}
