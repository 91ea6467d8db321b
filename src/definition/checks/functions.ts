/**
 * @module definition/checks/functions
 * Function definitions Swirl can run: `rest` (`<openapi-doc-uri>#<operationId>`), `expression`
 * (jq, checked by the expressions check), and `custom` operations (specs/custom-operations.md):
 * the Dapr building blocks `invoke:<appId>/<method>`, `binding:<name>/<operation>`,
 * `publish:<pubsub>/<topic>`, and `activity:<name>` (an activity registered on the engine: by a
 * connected Dapr SDK app over gRPC, or in process).
 * `rpc` (`<proto-uri>#<service>#<method>`, with metadata.address), `graphql`
 * (`<endpoint>#<query|mutation>#<field>`) and `odata` (`<service-uri>#<entity-set>`): their grammar
 * here, the proto and argument names in checks/protocols.ts (specs/function-types.md).
 * `asyncapi` is reported here, at validation time, never at run time.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { joinPointer } from '../json-pointer.js';
import { FunctionType } from '../types.js';
import type { Reporter } from '../report.js';
import { isObject } from '../walk.js';

/** The custom-operation grammar of the Dapr building blocks (specs/custom-operations.md). */
export const CUSTOM_OPERATION = /^(invoke|binding|publish):([A-Za-z0-9][A-Za-z0-9._-]*)\/(\S+)$/;

/** `activity:<name>`: the name is anything without whitespace, not under Swirl's own `swirl.` prefix. */
const ACTIVITY_OPERATION = /^activity:(\S+)$/;
/** Swirl's internal activities (swirl.function, swirl.publish…): a definition may not call them. */
const RESERVED_ACTIVITY_PREFIX = 'swirl.';

/** The activity an `activity:<name>` custom operation calls; undefined for any other operation. */
export function activityOperation(operation: string): string | undefined {
  const name = ACTIVITY_OPERATION.exec(operation)?.[1];
  return name === undefined || name.startsWith(RESERVED_ACTIVITY_PREFIX) ? undefined : name;
}

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
        if (op === undefined || CUSTOM_OPERATION.test(op) || activityOperation(op) !== undefined) return;
        if (op.startsWith('activity:')) {
          const name = op.slice('activity:'.length);
          r.error(
            DiagnosticCode.InvalidOperation,
            joinPointer(pointer, 'operation'),
            name.startsWith(RESERVED_ACTIVITY_PREFIX) ? `${label}: activity '${name}' is one of Swirl's own (the '${RESERVED_ACTIVITY_PREFIX}' prefix is reserved)` : `${label}: '${op}' needs an activity name without whitespace`,
            { hint: "e.g. 'activity:chargeCard' for an activity a Dapr SDK app registered with WorkflowRuntime.registerActivity" },
          );
          return;
        }
        r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: unknown custom operation '${op}'`, {
          hint: "custom operations are 'invoke:<appId>/<method>', 'binding:<name>/<operation>', 'publish:<pubsub>/<topic>' or 'activity:<name>'",
        });
        return;
      case FunctionType.Asyncapi:
        if (op !== undefined && !/^[^#]+#[^#]+$/.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: an asyncapi operation must be '<asyncapi-document-uri>#<operationId>', got '${op}'`, {
            hint: "e.g. 'specs/streetlights.yaml#sendLightMeasurement'",
          });
        }
        return; // the document and operationId: checks/asyncapi.ts
      case FunctionType.Rpc:
        if (op !== undefined && !/^.+#[^#]+#[^#]+$/.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: an rpc operation must be '<proto-file-uri>#<service>#<method>', got '${op}'`, { hint: "e.g. 'protos/pets.proto#PetService#GetPet' (specs/function-types.md)" });
        } else if (typeof fn.metadata !== 'object' || fn.metadata === null || typeof (fn.metadata as Record<string, unknown>).address !== 'string') {
          r.error(DiagnosticCode.RpcNoAddress, joinPointer(pointer, 'metadata'), `${label}: an rpc function needs metadata.address, the gRPC server to call`, { hint: "e.g. metadata: {address: '127.0.0.1:50051'} (add tls: 'true' for a TLS server)" });
        }
        return;
      case FunctionType.Graphql:
        if (op !== undefined && !/^.+#(query|mutation)#[_A-Za-z][_0-9A-Za-z]*$/.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: a graphql operation must be '<endpoint-uri>#<query|mutation>#<field>', got '${op}'`, { hint: "e.g. 'https://example.com/pets/graphql#query#pet' (subscriptions are not part of 0.8)" });
        }
        return;
      case FunctionType.Odata:
        if (op !== undefined && !/^[^#]+#[^#/]+$/.test(op)) {
          r.error(DiagnosticCode.InvalidOperation, joinPointer(pointer, 'operation'), `${label}: an odata operation must be '<odata-service-uri>#<entity-set>', got '${op}'`, { hint: "e.g. 'https://services.odata.org/V4/TripPinService#People'" });
        }
        return;
      default:
        return; // an unknown type is a schema error, reported there
    }
  });
}
