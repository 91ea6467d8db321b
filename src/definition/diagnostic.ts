/**
 * @module definition/diagnostic
 * What the validator reports: a Diagnostic names what is wrong and exactly where (file, line,
 * column, JSON pointer), with a stable code that programs and tests can rely on.
 */

/**
 * How bad a finding is: errors make a definition invalid, warnings and infos do not. Infos say
 * what a profile assumed (specs/sonataflow-profile.md); the standard profile reports none.
 */
export const Severity = { Error: 'error', Warning: 'warning', Info: 'info' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/**
 * Every diagnostic code, with what it means. Codes are stable: add new ones, never rename.
 * The table doubles as documentation (`swirl validate --help` and specs/diagnostics.md list it).
 */
export const DiagnosticCode = {
  /** The text is not well-formed YAML/JSON. */
  Syntax: 'SYNTAX',
  /** The document is too large, too deeply nested, or expands (YAML aliases) to too many values. */
  DocumentLimit: 'DOCUMENT_LIMIT',
  /** The document (or an external file) is not a JSON object at the top. */
  NotAnObject: 'NOT_AN_OBJECT',
  /** A file given on the command line or referenced by the definition cannot be read. */
  FileNotFound: 'FILE_NOT_FOUND',
  /**
   * A relative file reference in a definition that has no location of its own (registered over
   * the HTTP API): there is nothing to resolve it against.
   */
  RelativeReference: 'RELATIVE_REFERENCE',
  /**
   * A reference (file or URL) that the server's policy does not let a definition registered over
   * the API reach (specs/security.md): nothing was read or fetched.
   */
  ReferenceNotAllowed: 'REFERENCE_NOT_ALLOWED',
  /** `specVersion` is not "0.8". */
  SpecVersion: 'SPEC_VERSION',
  /** A required property is missing (schema). */
  MissingProperty: 'MISSING_PROPERTY',
  /** A property that the schema does not allow at that place. */
  UnknownProperty: 'UNKNOWN_PROPERTY',
  /** A value of the wrong JSON type (schema). */
  WrongType: 'WRONG_TYPE',
  /** A value outside the allowed set (schema enum/const). */
  InvalidValue: 'INVALID_VALUE',
  /** Any other schema violation (lengths, item counts, exclusive alternatives). */
  SchemaViolation: 'SCHEMA',
  /** A state `type` that is not one of the eight 0.8 state types. */
  UnknownStateType: 'UNKNOWN_STATE_TYPE',
  /** Two states share a name. */
  DuplicateState: 'DUPLICATE_STATE',
  /** Two functions / events / retries / errors share a name. */
  DuplicateDefinition: 'DUPLICATE_DEFINITION',
  /** The workflow id (or key) is in Swirl's reserved namespace `swirl.*` (specs/security.md). */
  ReservedId: 'RESERVED_ID',
  /** Two definitions validated together share an id (or key) and version. */
  DuplicateWorkflow: 'DUPLICATE_WORKFLOW',
  /** start / transition / defaultCondition / onErrors / compensatedBy names a state that does not exist. */
  UnknownState: 'UNKNOWN_STATE',
  /** A functionRef names no function in `functions`. */
  UnknownFunction: 'UNKNOWN_FUNCTION',
  /** An eventRef / onEvents / eventConditions names no event in `events`. */
  UnknownEvent: 'UNKNOWN_EVENT',
  /** A retryRef names no retry in `retries`. */
  UnknownRetry: 'UNKNOWN_RETRY',
  /** An errorRef / errorRefs / retryableErrors names no error in `errors`. */
  UnknownError: 'UNKNOWN_ERROR',
  /** A function's authRef (or metadata.invocationAuthRef) names no auth definition in `auth`. */
  UnknownAuth: 'UNKNOWN_AUTH',
  /** A subFlowRef names a workflow id that is not among the definitions validated together (warning). */
  UnknownSubflow: 'UNKNOWN_SUBFLOW',
  /** A produced event is consumed, or a consumed event is produced. */
  EventKind: 'EVENT_KIND',
  /** A state has neither `end` nor `transition`, or both. */
  EndOrTransition: 'END_OR_TRANSITION',
  /** No path from the start state reaches this state (warning). */
  Unreachable: 'UNREACHABLE_STATE',
  /** Compensation rules of spec §Workflow Compensation are broken. */
  Compensation: 'COMPENSATION',
  /** A duration that is not a valid ISO-8601 duration. */
  InvalidDuration: 'INVALID_DURATION',
  /** A workflow expression (jq) that does not compile. */
  InvalidExpression: 'INVALID_EXPRESSION',
  /** A jq `$variable` that neither the expression binds nor 0.8 defines ($CONST, $SECRETS). */
  UndefinedVariable: 'UNDEFINED_VARIABLE',
  /** A value-field string that reads like jq (`.symbol`) but is sent as literal text (warning). */
  BareExpression: 'BARE_EXPRESSION',
  /** `=` (assignment) in a condition where `==` was meant (warning). */
  AssignmentInCondition: 'ASSIGNMENT_IN_CONDITION',
  /** A retryRef whose retry can never happen: no retryableErrors and autoRetries off (warning). */
  RetryNeverRetries: 'RETRY_NEVER_RETRIES',
  /** `expressionLang` other than jq (Swirl evaluates jq only). */
  UnsupportedExpressionLang: 'UNSUPPORTED_EXPRESSION_LANG',
  /** No longer emitted: every 0.8 function type runs (kept so that saved reports keep their meaning). */
  UnsupportedFunctionType: 'UNSUPPORTED_FUNCTION_TYPE',
  /** A `custom` function whose operation is not one of Swirl's custom operations. */
  InvalidOperation: 'INVALID_OPERATION',
  /** A rest function's operationId is not in its OpenAPI document. */
  UnknownOperation: 'UNKNOWN_OPERATION',
  /** A rest function's OpenAPI document is not OpenAPI 3.x / Swagger 2.0, or its $refs do not resolve. */
  InvalidOpenApi: 'INVALID_OPENAPI',
  /** A rest operation has no absolute base URL (error for a local document, warning for a remote one). */
  OpenApiNoServer: 'OPENAPI_NO_SERVER',
  /** A remote OpenAPI document cannot be fetched at validation (warning). */
  OpenApiUnreachable: 'OPENAPI_UNREACHABLE',
  /** An rpc function without metadata.address (the gRPC server to call). */
  RpcNoAddress: 'RPC_NO_ADDRESS',
  /** An rpc function's .proto file does not load (syntax, a missing import). */
  InvalidProto: 'INVALID_PROTO',
  /** An rpc function's service is not in its .proto file. */
  UnknownService: 'UNKNOWN_SERVICE',
  /** An rpc function's method is not in its service. */
  UnknownMethod: 'UNKNOWN_METHOD',
  /** An rpc method that streams (only unary methods can be called). */
  UnsupportedRpcStreaming: 'UNSUPPORTED_RPC_STREAMING',
  /** A functionRef argument that the called rpc request message or odata function does not take. */
  UnknownArgument: 'UNKNOWN_ARGUMENT',
  /** A graphql function's field is not a root field of its endpoint's schema. */
  UnknownField: 'UNKNOWN_FIELD',
  /** A graphql function's metadata.argumentTypes does not parse as `name: Type, …`. */
  InvalidArgumentTypes: 'INVALID_ARGUMENT_TYPES',
  /** A graphql endpoint's schema cannot be read by introspection at validation (warning). */
  GraphqlUnreachable: 'GRAPHQL_UNREACHABLE',
  /** A remote .proto file (or one it imports) of an rpc function cannot be fetched at validation (warning). */
  RpcProtoUnreachable: 'RPC_PROTO_UNREACHABLE',
  /** An asyncapi function's document is not AsyncAPI 2.x, or its channels/servers are malformed. */
  InvalidAsyncApi: 'INVALID_ASYNCAPI',
  /** A remote AsyncAPI document cannot be fetched at validation (warning). */
  AsyncApiUnreachable: 'ASYNCAPI_UNREACHABLE',
  /** A start schedule whose cron or interval does not parse. */
  InvalidSchedule: 'INVALID_SCHEDULE',
  /** A switch state that is neither data- nor event-based, or mixes both. */
  InvalidSwitch: 'INVALID_SWITCH',
  /** sonataflow profile: no `specVersion`, 0.8 assumed (info). */
  SpecVersionAssumed: 'SPEC_VERSION_ASSUMED',
  /** sonataflow profile: a boolean written as a string (`"true"`), coerced (warning). */
  StringBoolean: 'STRING_BOOLEAN',
  /** sonataflow profile: a Java/Python/Camel function that only SonataFlow can run. */
  SonataflowOnlyFunction: 'SONATAFLOW_ONLY_FUNCTION',
  /** sonataflow profile: application.properties cannot be read, or a setting in it is unusable. */
  ApplicationProperties: 'APPLICATION_PROPERTIES',
  /** A folder's swirl.yaml names no known profile, or cannot be read (specs/sonataflow-profile.md). */
  InvalidProfile: 'INVALID_PROFILE',
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** One finding about a definition. Lines and columns are 1-based. */
export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  /** The file the finding is in (as given by the caller), or `<input>` for text without a file. */
  file: string;
  line: number;
  column: number;
  /** RFC 6901 JSON pointer into the document, e.g. `/states/0/transition`. */
  pointer: string;
  /** How to fix it, when we can tell. */
  hint?: string;
}

/** true when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === Severity.Error);
}

/** Orders diagnostics by file, then position, then code — the order a compiler prints them. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code),
  );
}

/** `file:line:col: error CODE message` — the one-line form `swirl validate` prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}`;
  return d.hint ? `${head}\n    hint: ${d.hint}` : head;
}
