/**
 * @module definition/json-pointer
 * RFC 6901 JSON pointers: building them from path segments and reading values through them.
 */

/** Escapes one segment (`~` → `~0`, `/` → `~1`). */
export function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a pointer and more segments: `join('/states', 0, 'end')` → `/states/0/end`. */
export function joinPointer(base: string, ...segments: (string | number)[]): string {
  return base + segments.map((s) => `/${escapeSegment(s)}`).join('');
}

/** Splits a pointer into its unescaped segments. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Reads the value a pointer designates, or undefined when the path does not exist. */
export function getAtPointer(root: unknown, pointer: string): unknown {
  let value: unknown = root;
  for (const segment of splitPointer(pointer)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
