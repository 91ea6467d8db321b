/**
 * @module expressions/jsonpath
 * JSONPath workflow expressions (`expressionLang: jsonpath`, for the sonataflow profile:
 * specs/sonataflow-profile.md) behind the same CompiledExpression interface as jq. Evaluated by
 * jsonpath-plus with its safe evaluator (filters such as `[?(@.price < 10)]` without JavaScript
 * `eval`). Like SonataFlow's Jayway JsonPath: a definite path yields its value (null when absent),
 * an indefinite one (wildcards, `..`, filters, unions, slices) the array of matches; in a condition
 * an array is true when it is not empty.
 */
import { createRequire } from 'node:module';
import type * as JsonPathPlus from 'jsonpath-plus';

let lib: typeof JsonPathPlus | undefined;

/** jsonpath-plus (its CommonJS build), required with the first JSONPath expression (issue 12: not at start-up). */
function jsonPathPlus(): typeof JsonPathPlus.JSONPath {
  lib ??= createRequire(import.meta.url)('jsonpath-plus') as typeof JsonPathPlus;
  return lib.JSONPath;
}
import { ExpressionError, ExpressionErrorCode } from './errors.js';
import type { CompiledExpression } from './index.js';

/** Longest JSONPath source accepted (a definition's paths are short). */
export const JSONPATH_MAX_LENGTH = 4096;

/** Options of {@link compileJsonPath}. */
export interface JsonPathOptions {
  /** The expression is a condition: its value is read as a boolean (a non-empty array is true). */
  condition?: boolean;
}

/** True when the path can select more than one value (Jayway's "indefinite" paths). */
function indefinite(path: string): boolean {
  return jsonPathPlus().toPathArray(path).some((seg) => seg === '*' || seg === '..' || /^[?(]/.test(seg) || /[,:]/.test(seg));
}

/** Compiles a JSONPath expression; throws ExpressionError (EXPRESSION_COMPILE) when it is not one. */
export function compileJsonPath(source: string, options: JsonPathOptions = {}): CompiledExpression {
  const path = source.trim();
  if (path.length > JSONPATH_MAX_LENGTH) throw new ExpressionError(ExpressionErrorCode.Compile, `JSONPath expression is longer than ${JSONPATH_MAX_LENGTH} characters`, { expression: path.slice(0, 60) });
  if (!path.startsWith('$')) throw new ExpressionError(ExpressionErrorCode.Compile, `JSONPath expression ${JSON.stringify(path)} does not start with '$'`, { expression: path });
  const many = indefinite(path);
  // Jayway (SonataFlow) applies a filter right after the root to the root itself
  // (`$[?(@.language == 'English')]` matches when the model's language is English); jsonpath-plus
  // would filter the root's property values, so the root is wrapped in an array for it.
  const onRoot = /^\$\.?\[\?/.test(path);
  const run = onRoot ? `$${path.replace(/^\$\.?/, '')}` : path;
  const all = (input: unknown): unknown[] => {
    try {
      return jsonPathPlus()({ path: run, json: (onRoot ? [input] : input) as object, eval: 'safe', wrap: true }) as unknown[];
    } catch (err) {
      throw new ExpressionError(ExpressionErrorCode.Runtime, `JSONPath ${JSON.stringify(path)}: ${(err as Error).message.replace(/^jsonPath: /, '')}`, { expression: path, cause: err });
    }
  };
  const value = (input: unknown): unknown => {
    const results = all(input);
    const v = many ? results : (results[0] ?? null);
    if (!options.condition) return v;
    return Array.isArray(v) && many ? v.length > 0 : v === true;
  };
  // A filter's syntax is only read when it runs: run it once on a sample so a broken one fails here.
  all({ sample: [{}] });
  return { source: path, evaluate: value, evaluateAll: (input) => [value(input)], usesFallback: false, freeVariables: [] };
}
