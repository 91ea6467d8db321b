/**
 * @module interpreter/selection-set
 * A graphql functionRef's `selectionSet` with the `${ … }` expressions inside it evaluated (spec
 * §Using Functions for GraphQL Service Invocations: "Expressions must be evaluated before executing
 * the operation"). Each result is written as a GraphQL literal (strings quoted and escaped, input
 * objects with bare keys), so a value cannot break out of its place in the selection. Also what
 * else the orchestration adds to an rpc/graphql/odata call's input (protocolCallExtras).
 */
import { embeddedExpressions } from '../definition/expression-sites.js';
import type { FunctionDef, FunctionRef } from '../definition/types.js';
import { compileExpression } from '../expressions/index.js';
import { WorkflowError } from '../errors.js';
import { EXPRESSION_ERROR, type RunContext } from './run-context.js';

/** A JSON value as a GraphQL value literal. */
export function graphqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(graphqlLiteral).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${graphqlLiteral(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

/** The selection set with its expressions evaluated over `input`; `pointer` names it in errors. */
export function interpolateSelectionSet(rc: RunContext, text: string, pointer: string, input: unknown): string {
  let out = '';
  let at = 0;
  for (const { start, end, jq } of embeddedExpressions(text)) {
    if (end < 0) throw new WorkflowError(EXPRESSION_ERROR, `selectionSet (${pointer}): '\${' at offset ${start} is never closed`, { nonRetryable: true });
    let compiled;
    try {
      compiled = compileExpression(jq);
    } catch (err) {
      throw new WorkflowError(EXPRESSION_ERROR, `selectionSet (${pointer}): expression '${text.slice(start, end)}' does not compile: ${(err as Error).message}`, { nonRetryable: true });
    }
    out += text.slice(at, start) + graphqlLiteral(rc.evaluateCompiled(compiled, input, pointer, 'selectionSet'));
    at = end;
  }
  return out + text.slice(at);
}

/**
 * What an rpc, graphql or odata call carries besides its arguments: the action's timeout as the
 * call's own deadline, and a graphql selection set evaluated here (in the orchestration, over the
 * action data, so the history records what was sent). Nothing for other function types.
 */
export function protocolCallExtras(rc: RunContext, fn: FunctionDef, ref: FunctionRef, pointer: string, input: unknown, actionExecMs: number | undefined): { timeoutMs?: number; selectionSet?: string } {
  if (fn.type !== 'rpc' && fn.type !== 'graphql' && fn.type !== 'odata') return {};
  const selection = fn.type === 'graphql' && ref.selectionSet !== undefined ? interpolateSelectionSet(rc, ref.selectionSet, `${pointer}/functionRef/selectionSet`, input) : undefined;
  return { ...(actionExecMs !== undefined ? { timeoutMs: actionExecMs } : {}), ...(selection !== undefined ? { selectionSet: selection } : {}) };
}
