/**
 * @module test/host/expression-workflow
 * The one-state workflow the expression-limit serve tests run: an operation state whose single
 * action calls an `expression` function with `expr` and keeps its `.out`, as JSON text.
 */

/** The definition `id` evaluating `expr` in its only state, 'Go'. */
export function expressionWorkflow(id: string, expr: string): string {
  return JSON.stringify({
    id,
    version: '1.0',
    specVersion: '0.8',
    start: 'Go',
    functions: [{ name: 'f', type: 'expression', operation: expr }],
    states: [{ name: 'Go', type: 'operation', actions: [{ functionRef: 'f', actionDataFilter: { toStateData: '${ .out }' } }], end: true }],
  });
}
