/**
 * @module definition/json-schema
 * JSON Schemas written by users (`dataInputSchema`): the draft is chosen by `$schema` (draft-04, -06,
 * -07, 2019-09, 2020-12; draft-07 when absent), and relative `$ref`s to other files are carried along
 * as `refs` (absolute URI → schema) so that the validator and the interpreter compile the same thing.
 */
import { createRequire } from 'node:module';
import type { Ajv, AnySchema, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
type AjvClass = new (options: object) => Ajv;

/**
 * The ajv classes, required (ajv is CommonJS) with the first user schema compiled, not when Swirl
 * starts: most workflows have no dataInputSchema (issue 12: start-up CPU).
 */
function ajvClasses(): { Ajv: AjvClass; Ajv2019: AjvClass; Ajv2020: AjvClass; AjvDraft04: AjvClass } {
  return {
    Ajv: (require('ajv') as typeof import('ajv')).Ajv,
    Ajv2019: (require('ajv/dist/2019.js') as typeof import('ajv/dist/2019.js')).Ajv2019 as unknown as AjvClass,
    Ajv2020: (require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020 as unknown as AjvClass,
    // ajv-draft-04 is CommonJS with `module.exports = Ajv`; its typings declare only `export default`.
    AjvDraft04: require('ajv-draft-04') as AjvClass,
  };
}

/** The JSON Schema drafts Swirl validates with. */
export const SchemaDraft = {
  Draft04: 'draft-04',
  Draft06: 'draft-06',
  Draft07: 'draft-07',
  Draft2019: '2019-09',
  Draft2020: '2020-12',
} as const;
export type SchemaDraft = (typeof SchemaDraft)[keyof typeof SchemaDraft];

/** Meta-schema URIs (with or without `#`, http or https) → draft. */
const DRAFTS: [RegExp, SchemaDraft][] = [
  [/^https?:\/\/json-schema\.org\/draft-04\/schema#?$/, SchemaDraft.Draft04],
  [/^https?:\/\/json-schema\.org\/draft-06\/schema#?$/, SchemaDraft.Draft06],
  [/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, SchemaDraft.Draft07],
  [/^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, SchemaDraft.Draft2019],
  [/^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, SchemaDraft.Draft2020],
];

/**
 * The draft a schema declares: draft-07 without `$schema`, undefined for a `$schema` that names
 * no draft we know.
 */
export function draftOf(schema: Record<string, unknown>): SchemaDraft | undefined {
  const uri = schema.$schema;
  if (uri === undefined) return SchemaDraft.Draft07;
  if (typeof uri !== 'string') return undefined;
  return DRAFTS.find(([re]) => re.test(uri.trim()))?.[1];
}

/** A user schema with the files it refers to. */
export interface UserSchema {
  schema: Record<string, unknown>;
  /** Absolute URI (`file:///…` or `https://…`) of each referenced schema document. */
  refs?: Record<string, Record<string, unknown>>;
  /** Base URI of `schema` itself (its file), against which relative refs resolve. */
  baseUri?: string;
}

function newAjv(draft: SchemaDraft): Ajv {
  // logger: false — ajv prints "unknown format … ignored" to the console otherwise; formats Swirl
  // does not know are ignored, as JSON Schema allows, without noise on stderr.
  const options = { strict: false, allErrors: true, logger: false as const };
  const { Ajv, Ajv2019, Ajv2020, AjvDraft04 } = ajvClasses();
  switch (draft) {
    case SchemaDraft.Draft04:
      return new AjvDraft04(options);
    case SchemaDraft.Draft06: {
      const ajv = new Ajv(options);
      ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
      return ajv;
    }
    case SchemaDraft.Draft07:
      return new Ajv(options);
    case SchemaDraft.Draft2019:
      return new Ajv2019(options);
    case SchemaDraft.Draft2020:
      return new Ajv2020(options);
  }
}

const cache = new WeakMap<object, ValidateFunction>();

/**
 * Compiles a user schema with the ajv class of its draft (an unknown `$schema` is compiled as
 * draft-07 with `$schema` set aside; the validator warns about it). Throws ajv's error when the
 * schema is not valid. Cached per schema object.
 */
export function compileUserSchema(user: UserSchema): ValidateFunction {
  const hit = cache.get(user.schema);
  if (hit) return hit;
  const draft = draftOf(user.schema);
  const ajv = newAjv(draft ?? SchemaDraft.Draft07);
  let root: Record<string, unknown> = user.schema;
  if (draft === undefined) {
    const { $schema: _ignored, ...rest } = root;
    root = rest;
  }
  for (const [uri, schema] of Object.entries(user.refs ?? {})) ajv.addSchema(schema as AnySchema, uri);
  let validate: ValidateFunction;
  if (user.baseUri && ajv.getSchema(user.baseUri) === undefined) {
    ajv.addSchema(root as AnySchema, user.baseUri);
    validate = ajv.getSchema(user.baseUri) as ValidateFunction;
  } else {
    validate = ajv.compile(root);
  }
  cache.set(user.schema, validate);
  return validate;
}

/**
 * The `$ref`s of a schema that point outside it (not `#…`), without their fragment, each once with
 * the pointer of its first use. Walks every nested object (refs in `definitions`, `properties`,
 * `items`, … alike) but not literal data (`enum`, `const`, `examples`, `default`).
 */
export function externalRefs(schema: unknown): { ref: string; pointer: string }[] {
  const out = new Map<string, string>();
  const walk = (v: unknown, pointer: string): void => {
    if (Array.isArray(v)) v.forEach((child, i) => walk(child, `${pointer}/${i}`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const at = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (k === '$ref' && typeof child === 'string' && !child.startsWith('#')) {
          const ref = child.split('#')[0];
          if (ref !== '' && !out.has(ref)) out.set(ref, at);
        } else if (!['enum', 'const', 'examples', 'default'].includes(k)) walk(child, at);
      }
    }
  };
  walk(schema, '');
  return [...out].map(([ref, pointer]) => ({ ref, pointer }));
}

/** true for the URI of a meta-schema ajv knows (a `$ref` to it needs no loading). */
export function isMetaSchemaUri(uri: string): boolean {
  return DRAFTS.some(([re]) => re.test(uri) || re.test(`${uri}#`));
}
