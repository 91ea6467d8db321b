/**
 * @module interpreter/auth
 * Resolves a function's `authRef` (spec §Auth Definition) to plain credentials for the rest
 * component. Runs inside the function-call activity, so `$SECRETS` values used in auth properties
 * never reach the instance history. `authRef: "<name>"` authenticates fetching the OpenAPI document
 * named in `operation` (as the spec says); `metadata.invocationAuthRef: "<name>"` authenticates
 * invoking the operation.
 */
import type { FunctionDef } from '../definition/types.js';
import { valueExpression } from '../definition/expression-sites.js';
import { compileExpression, type CompiledExpression } from '../expressions/index.js';
import type { HttpAuth } from '../components/rest/index.js';
import type { WorkflowGraph } from '../graph/types.js';
import { WorkflowError } from '../errors.js';
import { EXPRESSION_ERROR } from './run-context.js';

type Obj = Record<string, unknown>;

/**
 * Function metadata key naming the auth definition for invoking the operation. The 0.8 schema
 * allows `authRef` only as a string (the document fetch), so invocation credentials are a Swirl
 * extension carried in `metadata`, which the schema leaves open. (The later `{resource, invocation}`
 * object form of authRef is honoured too, if a definition carries it.)
 */
export const INVOCATION_AUTH_KEY = 'invocationAuthRef';

/** Credentials of one function call. */
export interface FunctionAuth {
  resource?: HttpAuth;
  invocation?: HttpAuth;
}

const compiled = new Map<string, CompiledExpression>();

function authError(code: string, message: string): WorkflowError {
  return new WorkflowError(code, message, { nonRetryable: true });
}

/** A property value: a whole `${ … }` string is an expression over `$SECRETS` / `$CONST`; the rest is literal. */
function value(v: unknown, vars: Obj, where: string): unknown {
  if (typeof v !== 'string') return v;
  const expr = valueExpression(v);
  if (!expr) return v;
  let c = compiled.get(expr.jq);
  try {
    if (!c) {
      c = compileExpression(expr.jq);
      compiled.set(expr.jq, c);
    }
    return c.evaluate({}, vars);
  } catch (err) {
    // The message names the expression, never its value.
    throw new WorkflowError(EXPRESSION_ERROR, `${where}: expression '${v}' failed: ${(err as Error).message}`, { cause: err, nonRetryable: true });
  }
}

function text(v: unknown, vars: Obj, where: string, required: boolean): string | undefined {
  const r = value(v, vars, where);
  if (r === undefined || r === null) {
    if (required) throw authError('INVALID_AUTH', `${where} is missing or resolves to nothing`);
    return undefined;
  }
  if (typeof r !== 'string' && typeof r !== 'number') throw authError('INVALID_AUTH', `${where} must resolve to a string`);
  return String(r);
}

function list(v: unknown, vars: Obj, where: string): string[] | undefined {
  const r = value(v, vars, where);
  if (r === undefined || r === null) return undefined;
  const items = Array.isArray(r) ? r : [r];
  return items.map((x, i) => text(x, vars, `${where}[${i}]`, true)!);
}

function definitionOf(graph: WorkflowGraph, name: string, fn: FunctionDef): Obj {
  const auth = graph.definition.auth;
  if (typeof auth === 'string') throw authError('UNSUPPORTED_AUTH', `function '${fn.name}': the auth file '${auth}' was not loaded (run what validateFile / loadWorkflow return, which inline it)`);
  const def = (auth ?? []).find((a): a is Obj => a !== null && typeof a === 'object' && (a as Obj).name === name);
  if (!def) throw authError('AUTH_NOT_FOUND', `function '${fn.name}': auth '${name}' is not defined`);
  return def;
}

/** Resolves one auth definition to credentials. */
function resolveAuth(graph: WorkflowGraph, name: string, fn: FunctionDef, vars: Obj): HttpAuth {
  const def = definitionOf(graph, name, fn);
  const scheme = (def.scheme as string | undefined) ?? 'basic';
  const where = `auth '${name}'`;
  // The string form of properties is one expression (typically a secret) holding all of them.
  const props = value(def.properties, vars, `${where} properties`);
  switch (scheme) {
    case 'basic': {
      if (typeof props === 'string') {
        const i = props.indexOf(':');
        if (i < 0) throw authError('INVALID_AUTH', `${where}: basic properties given as a string must be 'username:password'`);
        return { scheme: 'basic', username: props.slice(0, i), password: props.slice(i + 1) };
      }
      const p = (props ?? {}) as Obj;
      return { scheme: 'basic', username: text(p.username, vars, `${where} username`, true)!, password: text(p.password, vars, `${where} password`, true)! };
    }
    case 'bearer': {
      if (typeof props === 'string') return { scheme: 'bearer', token: props };
      return { scheme: 'bearer', token: text(((props ?? {}) as Obj).token, vars, `${where} token`, true)! };
    }
    case 'oauth2': {
      const p = (props ?? {}) as Obj;
      const grant = p.grantType;
      if (grant !== 'clientCredentials' && grant !== 'password') {
        throw authError('UNSUPPORTED_AUTH', `${where}: oauth2 grantType '${String(grant)}' is not supported (clientCredentials and password are)`);
      }
      const metadata = (p.metadata ?? {}) as Obj;
      // Decision: `metadata.tokenEndpoint` when given, else `authority` is the token endpoint URL.
      const tokenEndpoint = text(metadata.tokenEndpoint ?? p.authority, vars, `${where} authority`, true)!;
      return {
        scheme: 'oauth2',
        tokenEndpoint,
        grantType: grant,
        clientId: text(p.clientId, vars, `${where} clientId`, true)!,
        clientSecret: text(p.clientSecret, vars, `${where} clientSecret`, false),
        scopes: list(p.scopes, vars, `${where} scopes`),
        audiences: list(p.audiences, vars, `${where} audiences`),
        username: text(p.username, vars, `${where} username`, grant === 'password'),
        password: text(p.password, vars, `${where} password`, grant === 'password'),
      };
    }
    default:
      throw authError('UNSUPPORTED_AUTH', `${where}: unknown scheme '${scheme}'`);
  }
}

/** The credentials a function's `authRef` asks for (none without authRef). */
export function functionAuth(graph: WorkflowGraph, fn: FunctionDef, secrets: Record<string, string>): FunctionAuth {
  const ref = fn.authRef;
  const vars = { SECRETS: secrets, CONST: graph.constants };
  const resource = typeof ref === 'string' ? ref : ref?.resource;
  const invocation = (typeof ref === 'object' ? ref.invocation : undefined) ?? fn.metadata?.[INVOCATION_AUTH_KEY];
  return {
    resource: resource !== undefined ? resolveAuth(graph, resource, fn, vars) : undefined,
    invocation: invocation !== undefined ? resolveAuth(graph, invocation, fn, vars) : undefined,
  };
}
