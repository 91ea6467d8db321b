/**
 * @module definition/checks/graphql
 * `graphql` functions checked before any run (specs/function-types.md): the endpoint is asked for
 * its root fields by introspection (once per endpoint and validation, with the timeout of every
 * remote file), the field of `<endpoint>#<query|mutation>#<field>` must exist, and the literal
 * argument names of the functionRefs calling it must be arguments of that field. An endpoint that
 * cannot be introspected is a warning (checked at the first call instead); so is one reached only
 * with credentials (`authRef`: they exist at run time only).
 */
import { DiagnosticCode, type Diagnostic } from '../diagnostic.js';
import { REMOTE_TIMEOUT_MS } from '../external.js';
import { joinPointer } from '../json-pointer.js';
import { DOCUMENT_LIMITS, type ParsedDocument } from '../parse.js';
import { urlRefusal } from '../reach.js';
import { cappedText } from '../remote-text.js';
import { Reporter } from '../report.js';
import { closest, didYouMean } from '../suggest.js';
import { actionsOf, isObject, states } from '../walk.js';
import type { FunctionSite } from './protocols.js';

type Obj = Record<string, unknown>;
type RootFields = Map<string, string[]>;
type Introspected = { ok: true; query: RootFields; mutation: RootFields } | { ok: false; reason: string };

const QUERY = 'query SwirlIntrospection { __schema { queryType { fields { name args { name } } } mutationType { fields { name args { name } } } } }';

function rootFields(root: unknown): RootFields {
  const fields = isObject(root) && Array.isArray(root.fields) ? root.fields : [];
  return new Map(fields.filter(isObject).map((f) => [String(f.name), (Array.isArray(f.args) ? f.args : []).filter(isObject).map((a) => String(a.name))]));
}

async function introspect(endpoint: string): Promise<Introspected> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: QUERY, operationName: 'SwirlIntrospection' }),
      signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS),
    });
    // Read with the document size cap (definition/remote-text): a schema is far smaller.
    const text = await cappedText(res, endpoint, DOCUMENT_LIMITS.length);
    let body: { data?: { __schema?: Obj }; errors?: { message?: string }[] } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const schema = body?.data?.__schema;
    if (!schema) return { ok: false, reason: body?.errors?.[0]?.message ?? `HTTP ${res.status} without a schema` };
    return { ok: true, query: rootFields(schema.queryType), mutation: rootFields(schema.mutationType) };
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return { ok: false, reason: `no answer within ${REMOTE_TIMEOUT_MS / 1000} s` };
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return { ok: false, reason: `${(err as Error).message}${cause}` };
  }
}

/**
 * The names of a `metadata.argumentTypes` list (`"id: Int!, pet: PetInput!"`), or why it does not
 * parse. The same grammar as the runtime caller's (components/graphql: parseArgumentTypes).
 */
function declaredNames(text: string): string[] | string {
  const names: string[] = [];
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const m = /^\s*\$?([_A-Za-z][_0-9A-Za-z]*)\s*:\s*(\[*\s*[_A-Za-z][_0-9A-Za-z]*\s*!?\s*(?:\]\s*!?\s*)*)$/.exec(entry);
    const type = m?.[2]?.replace(/\s+/g, '') ?? '';
    if (!m || (type.match(/\[/g) ?? []).length !== (type.match(/\]/g) ?? []).length) return `metadata.argumentTypes: '${entry.trim()}' is not 'name: Type' (e.g. 'id: Int!' or 'ids: [ID!]!')`;
    names.push(m[1]!);
  }
  return names;
}

/** Checks graphql functions and the argument names of the functionRefs in `doc` that call them. */
export async function checkGraphqlFunctions(sites: FunctionSite[], workflow: ParsedDocument, doc: Obj, out: Diagnostic[]): Promise<void> {
  const cache = new Map<string, Promise<Introspected>>();
  /** Function name → the field's argument names (for the functionRef check). */
  const argsOf = new Map<string, string[]>();
  await Promise.all(
    sites.map(async (s) => {
      if (s.fn.type !== 'graphql' || typeof s.fn.operation !== 'string') return;
      const m = /^(https?:\/\/.+)#(query|mutation)#([_A-Za-z][_0-9A-Za-z]*)$/.exec(s.fn.operation);
      if (!m) return; // INVALID_OPERATION (checks/functions.ts), or not an http(s) endpoint
      const [, endpoint, kind, field] = m as unknown as [string, string, 'query' | 'mutation', string];
      const r = new Reporter(s.at.file, s.at.source, s.at.value);
      const pointer = joinPointer(s.pointer, 'operation');
      // The validator sends no request where the server's reach policy does not let a definition
      // read (a definition registered over the API must not make the server probe any URL); the
      // call itself goes where the function says, as a rest invocation does: checked then.
      if (workflow.reach && urlRefusal(workflow.reach, endpoint) !== undefined) return;
      const metadata = isObject(s.fn.metadata) ? s.fn.metadata : {};
      if (typeof metadata.argumentTypes === 'string') {
        // Types written out (an endpoint without introspection): no introspection, the names checked against them.
        const declared = declaredNames(metadata.argumentTypes);
        if (typeof declared === 'string') {
          r.error(DiagnosticCode.InvalidArgumentTypes, joinPointer(s.pointer, 'metadata', 'argumentTypes'), `function '${String(s.fn.name)}': ${declared}`, { hint: "e.g. argumentTypes: 'id: Int!, pet: PetInput!'" });
          out.push(...r.diagnostics);
        } else if (typeof s.fn.name === 'string') argsOf.set(s.fn.name, declared);
        return;
      }
      if (s.fn.authRef !== undefined || metadata.invocationAuthRef !== undefined) return; // credentials exist at run time only
      let loading = cache.get(endpoint);
      if (!loading) cache.set(endpoint, (loading = introspect(endpoint)));
      const schema = await loading;
      if (!schema.ok) {
        r.warning(DiagnosticCode.GraphqlUnreachable, pointer, `cannot read the schema of graphql endpoint '${endpoint}' to check ${kind} field '${field}': ${schema.reason}`, {
          hint: 'the field and its arguments are checked when the function is first called',
        });
      } else {
        const fields = schema[kind];
        const args = fields.get(field);
        if (args === undefined) {
          r.error(DiagnosticCode.UnknownField, pointer, `graphql endpoint '${endpoint}' has no ${kind} field '${field}'${didYouMean(field, fields.keys())}`, {
            hint: fields.size > 0 ? `its ${kind} fields: ${[...fields.keys()].slice(0, 10).join(', ')}${fields.size > 10 ? ', …' : ''}` : `the schema has no ${kind} type`,
          });
        } else if (typeof s.fn.name === 'string') argsOf.set(s.fn.name, args);
      }
      out.push(...r.diagnostics);
    }),
  );
  const r = new Reporter(workflow.file, workflow.source, workflow.value);
  for (const { state, pointer } of states(doc)) {
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      const ref = action.functionRef;
      if (!isObject(ref) || typeof ref.refName !== 'string' || !isObject(ref.arguments)) continue;
      const known = argsOf.get(ref.refName);
      if (!known) continue;
      for (const key of Object.keys(ref.arguments)) {
        if (known.includes(key)) continue;
        const near = closest(key, known);
        r.error(DiagnosticCode.UnknownArgument, joinPointer(ap, 'functionRef', 'arguments', key), `argument '${key}' is not an argument of the graphql field of '${ref.refName}'${near ? `; did you mean '${near}'?` : ''}`, {
          hint: `it takes: ${known.join(', ') || 'no arguments'}`,
        });
      }
    }
  }
  out.push(...r.diagnostics);
}
