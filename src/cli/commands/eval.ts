/**
 * @module cli/commands/eval
 * `swirl eval '<expr>' [--input <json>|@file] [--var name=json]... [--const k=v|@file]...
 * [--secret k=v]...`: runs a workflow expression the way workflows run it and prints each output
 * as compact JSON on its own line. The expression may be written as in a definition, `${ … }`
 * (unwrapped by the definition layer's own rule, definition/expression-sites.ts), or as bare jq;
 * `$CONST` and `$SECRETS` are bound as the interpreter binds them (interpreter/run-context.ts).
 * Compile errors exit 2 (with the position), runtime errors exit 1.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { load } from 'js-yaml';
import { alwaysExpression, compileExpression, ExpressionError, initExpressions } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

interface EvalOptions {
  input: string;
  var: Record<string, unknown>;
  const: string[];
  secret: string[];
}

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

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Splits `k=v`; the key must be non-empty. */
function keyValue(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`${flag} expects ${flag === '--const' ? 'name=value or @file' : 'name=value'}, got '${text}'`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/**
 * `$CONST`: each `--const k=v` is the JSON value `v` when it parses as JSON (`n=5`, `tags=["a"]`),
 * else the text itself (`region=eu`); `--const @file` merges a JSON or YAML object of constants —
 * what a workflow's `constants` (or the file it names) holds. Later flags win.
 */
export function constantsOf(flags: readonly string[]): Record<string, unknown> {
  const constants: Record<string, unknown> = {};
  for (const flag of flags) {
    if (flag.startsWith('@')) {
      const file = flag.slice(1);
      let value: unknown;
      try {
        value = load(readFileSync(file, 'utf8'), { filename: file });
      } catch (err) {
        throw new Error(`--const ${flag}: ${(err as Error).message.split('\n')[0]}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`--const ${flag}: the file must hold an object of constants, not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
      Object.assign(constants, value);
      continue;
    }
    const [name, text] = keyValue('--const', flag);
    try {
      constants[name] = JSON.parse(text);
    } catch {
      constants[name] = text;
    }
  }
  return constants;
}

/** `$SECRETS`: string values, as a workflow sees them (secret stores and the environment hold strings). */
export function secretsOf(flags: readonly string[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const flag of flags) {
    const [name, text] = keyValue('--secret', flag);
    secrets[name] = text;
  }
  return secrets;
}

/** Adds the `eval` command to the program. */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a workflow expression (${ … } or bare jq) as workflows do; prints each output as JSON on its own line')
    .argument('<expr>', "the expression, as written in a definition ('${ .a + 1 }') or as bare jq ('.a + 1')")
    .option('-i, --input <json>', 'input JSON, or @file to read it from a file', 'null')
    .option('--var <name=json>', 'bind $name to a JSON value (repeatable); @file reads the value from a file', collectVar, {})
    .option('--const <k=v|@file>', '$CONST.k = v (JSON when it parses, else the text; repeatable), or @file: a JSON/YAML object of constants', collect, [])
    .option('--secret <k=v>', '$SECRETS.k = v (a string; repeatable)', collect, [])
    .action(async (expr: string, opts: EvalOptions, command: Command) => {
      let input: unknown;
      let vars: Record<string, unknown>;
      try {
        input = parseJsonArg(opts.input, '--input');
        // The interpreter's variables (run-context.ts `vars`): NOW is the clock here, history time
        // there. An explicit `--var CONST=…` (the older spelling) still wins.
        vars = { CONST: constantsOf(opts.const), SECRETS: secretsOf(opts.secret), NOW: Date.now() / 1000, ...opts.var };
      } catch (err) {
        process.stderr.write(`swirl eval: ${(err as Error).message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      await initExpressions();
      const { jq, offset } = alwaysExpression(expr);
      let compiled;
      try {
        compiled = compileExpression(jq);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        const at = err.position ? ` (line ${err.position.line}, column ${err.position.column + (err.position.line === 1 ? offset : 0)})` : '';
        process.stderr.write(`swirl eval: compile error${at}: ${err.message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      try {
        for (const out of compiled.evaluateAll(input, vars)) process.stdout.write(`${JSON.stringify(out) ?? 'null'}\n`);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        process.stderr.write(`swirl eval: jq error: ${err.message}\n`);
        setExitCode(command, ExitCode.Failure);
      }
    });
}
