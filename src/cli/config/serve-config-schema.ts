/**
 * @module cli/config/serve-config-schema
 * The JSON Schema (draft-07) of `swirl.yaml`, built from the key table (serve-config-keys.ts):
 * nested sections for dotted keys, no unknown keys anywhere, and `environments:` — named sets of the
 * same keys — chosen by `environment:` or `swirl serve --environment`.
 */
import { CONFIG_KEYS, TRACING_KEYS } from './serve-config-keys.js';

type Schema = { type: 'object'; additionalProperties: false | Schema; properties: Record<string, Schema | Record<string, unknown>> };

function section(): Schema {
  return { type: 'object', additionalProperties: false, properties: {} };
}

/** The keys one environment (or the top level) may set. */
function keysSchema(): Schema {
  const root = section();
  for (const k of CONFIG_KEYS) {
    const parts = k.key.split('.');
    let at = root;
    for (const part of parts.slice(0, -1)) at = (at.properties[part] ??= section()) as Schema;
    at.properties[parts[parts.length - 1]] = k.schema;
  }
  const tracing = section();
  for (const [name, t] of Object.entries(TRACING_KEYS)) tracing.properties[name] = t.schema;
  root.properties.tracing = tracing;
  return root;
}

/** The schema of the whole file. */
export function serveConfigSchema(): Schema {
  const root = keysSchema();
  root.properties.environment = { type: 'string', minLength: 1 };
  root.properties.environments = { type: 'object', additionalProperties: keysSchema(), properties: {} };
  return root;
}
