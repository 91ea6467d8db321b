/**
 * @module definition/checks/functions
 * Function definitions Swirl can run: `rest` (`<openapi-doc-uri>#<operationId>`), `expression`
 * (jq, checked by the expressions check), and `custom` Dapr operations (specs/custom-operations.md:
 * `invoke:<appId>/<method>`, `binding:<name>/<operation>`, `publish:<pubsub>/<topic>`).
 * `rpc`, `graphql`, `asyncapi` and `odata` are reported here, at validation time, never at run time.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { joinPointer } from '../json-pointer.js';
import { FunctionType } from '../types.js';
import type { Reporter } from '../report.js';
import { isObject } from '../walk.js';

/** The custom-operation grammar (specs/custom-operations.md). */
export const CUSTOM_OPERATION = /^(invoke|binding|publish):([A-Za-z0-9][A-Za-z0-9._-]*)\/(\S+)$/;

/** Checks one list of function definitions; `base` is the pointer of the list in its file. */
export function checkFunctionDefs(functions: unknown[], base: string, r: Reporter): void {
  functions.forEach((fn, i) => {
    if (!isObject(fn) || typeof fn.name !== 'string') return;
    const pointer = joinPointer(base, i);
    const type = (fn.type ?? FunctionType.Rest) as FunctionType;
    const op = typeof fn.operation === 'string' ? fn.operation : undefined;
    const label = `function '${fn.name}'`;
    switch (type) {
      case FunctionType.Rest:
        if (op !== undefined && !/^[^#]+#[^#]+$/.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: a rest operation must be '<openapi-document-uri>#<operationId>', got '${op}'`, {
            hint: "e.g. 'specs/petstore.json#getPetById' or 'https://example.com/openapi.yaml#createOrder'",
          });
        }
        return;
      case FunctionType.Expression:
        return; // compiled by the expressions check
      case FunctionType.Custom:
        if (op !== undefined && !CUSTOM_OPERATION.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: unknown custom operation '${op}'`, {
            hint: "custom operations are 'invoke:<appId>/<method>', 'binding:<name>/<operation>' or 'publish:<pubsub>/<topic>'",
          });
        }
        return;
      case FunctionType.Rpc:
      case FunctionType.Graphql:
      case FunctionType.Asyncapi:
      case FunctionType.Odata:
        r.error(DiagnosticCode.UnsupportedFunctionType, joinPointer(pointer, 'type'), `${label}: function type '${type}' is not supported yet`, {
          hint: "Swirl runs 'rest', 'expression' and 'custom' (Dapr invoke:/binding:/publish:) functions",
        });
        return;
      default:
        return; // an unknown type is a schema error, reported there
    }
  });
}
