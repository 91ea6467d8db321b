/**
 * @module store/postgres-array
 * PostgreSQL array literals for the store's array parameters (the column arrays of a turn batch,
 * postgres-turn-columns.ts). `pg` quotes every element after two regex passes over it
 * (backslashes, then quotes) and a `prepareValue` call each: on a batch of history payloads (JSON,
 * full of quotes) that was ~7 % of a node's busy time (CPU profile, bench/README.md "h-pg4").
 * The literal is the same text PostgreSQL's array_in reads.
 */

/**
 * Characters JSON.stringify escapes differently from an array element: control characters (JSON
 * writes `\n`, array_in would read `n`) and surrogates (a lone one becomes `\uD800`). Without
 * them — every JSON payload — JSON.stringify's quoting is exactly the element's: `"` and `\`
 * backslash-escaped, the rest verbatim, in one native pass (2× pg's two regex passes, measured).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_AS_JSON = /[\u0000-\u001f\ud800-\udfff]/;

/** One element: NULL, a number or boolean as is, anything else as a quoted string. */
function element(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return NOT_AS_JSON.test(value) ? '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"' : JSON.stringify(value);
    case 'number':
      // NaN and ±Infinity are spelled as PostgreSQL reads them (float columns only, as with pg).
      return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'NULL';
    case 'object':
      if (value === null) return 'NULL';
      if (Array.isArray(value)) return arrayLiteral(value);
      return element(JSON.stringify(value));
    case 'symbol':
    case 'function':
      throw new TypeError(`a ${typeof value} cannot be a PostgreSQL array element`);
  }
}

/**
 * `values` as a PostgreSQL array literal (`{"a","b\"c",NULL,1,t}`), for a parameter the statement
 * casts to an array type. Nested arrays become nested literals (they must be rectangular).
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += element(values[i]);
  }
  return out + '}';
}
