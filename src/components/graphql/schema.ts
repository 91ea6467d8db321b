/**
 * @module components/graphql/schema
 * The argument types of a GraphQL endpoint's root fields, read by one introspection query per
 * endpoint (and credentials) and cached (specs/function-types.md: variables are declared with the types the schema
 * gives; guessing them from JSON values cannot tell `ID` from `String`, `Int` from `Float`, or name
 * an input object type). A failed introspection is not cached.
 */
import { WorkflowError } from '../../errors.js';

/** POSTs a GraphQL request and returns the parsed response (shared with the caller). */
export type GraphqlPost = (
  endpoint: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  opts: { authorization?: string; idempotencyKey?: string; traceparent?: string; timeoutMs?: number; signal?: AbortSignal },
) => Promise<{ data?: unknown; errors?: unknown }>;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

interface RootField {
  name: string;
  args: { name: string; type: TypeRef }[];
}

/** The root fields of one endpoint: query and mutation, each field's arguments as type text. */
export interface EndpointSchema {
  query: Map<string, Map<string, string>>;
  mutation: Map<string, Map<string, string>>;
}

/** Seven levels of ofType cover `[[T!]!]!` and every type the spec's examples use. */
const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }';
export const INTROSPECTION_QUERY = `query SwirlIntrospection { __schema { queryType { fields { name args { name type { ${TYPE_REF} } } } } mutationType { fields { name args { name type { ${TYPE_REF} } } } } } }`;

/** `NON_NULL(LIST(NON_NULL(Int)))` → `[Int!]!`. */
export function typeText(t: TypeRef | null): string {
  if (!t) return 'String';
  if (t.kind === 'NON_NULL') return `${typeText(t.ofType)}!`;
  if (t.kind === 'LIST') return `[${typeText(t.ofType)}]`;
  return t.name ?? 'String';
}

function fieldsOf(root: { fields?: RootField[] } | null | undefined): Map<string, Map<string, string>> {
  return new Map((root?.fields ?? []).map((f) => [f.name, new Map(f.args.map((a) => [a.name, typeText(a.type)]))]));
}

/** Endpoint schemas by endpoint URL. */
export class SchemaCache {
  private readonly schemas = new Map<string, Promise<EndpointSchema>>();

  constructor(private readonly post: GraphqlPost) {}

  /** The endpoint's schema (introspected once). */
  schema(endpoint: string, opts: { authorization?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<EndpointSchema> {
    // Per credentials too: what a schema shows may depend on who asks.
    const key = JSON.stringify([endpoint, opts.authorization ?? null]);
    let p = this.schemas.get(key);
    if (!p) {
      p = this.post(endpoint, { query: INTROSPECTION_QUERY, operationName: 'SwirlIntrospection' }, opts).then((r) => {
        const schema = (r.data as { __schema?: { queryType?: { fields?: RootField[] }; mutationType?: { fields?: RootField[] } | null } } | undefined)?.__schema;
        if (!schema || (Array.isArray(r.errors) && r.errors.length > 0)) {
          const why = Array.isArray(r.errors) ? r.errors.map((e) => String((e as { message?: unknown }).message)).join('; ') : 'no __schema in the answer';
          throw new WorkflowError('GRAPHQL_INTROSPECTION_FAILED', `graphql endpoint ${endpoint} does not answer introspection, which gives the types of the variables: ${why}`, { nonRetryable: true });
        }
        return { query: fieldsOf(schema.queryType), mutation: fieldsOf(schema.mutationType) };
      });
      p.catch(() => this.schemas.delete(key));
      this.schemas.set(key, p);
    }
    return p;
  }

  /** The GraphQL type of each argument, or an error naming the unknown field or argument. */
  async argumentTypes(endpoint: string, kind: 'query' | 'mutation', field: string, args: string[], opts: { authorization?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<Record<string, string>> {
    const schema = await this.schema(endpoint, opts);
    const fields = schema[kind];
    const declared = fields.get(field);
    if (!declared) {
      throw new WorkflowError('UNKNOWN_FIELD', `graphql endpoint ${endpoint} has no ${kind} field '${field}' (its ${kind} fields: ${[...fields.keys()].join(', ') || 'none'})`, { nonRetryable: true });
    }
    const out: Record<string, string> = {};
    for (const a of args) {
      const type = declared.get(a);
      if (type === undefined) {
        throw new WorkflowError('INVALID_ARGUMENTS', `graphql ${kind} '${field}' has no argument '${a}' (its arguments: ${[...declared.keys()].join(', ') || 'none'})`, { nonRetryable: true });
      }
      out[a] = type;
    }
    return out;
  }
}
