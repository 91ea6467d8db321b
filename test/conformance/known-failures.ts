/**
 * @module test/conformance/known-failures
 * Cases that fail because of a known interpreter gap, each with the reason. They still run (as
 * node:test "todo" tests), so the gap stays visible in every report without failing the suite.
 * Remove an entry as soon as its case passes.
 */

/** Case name (`<area>/<file>`) → why it fails today. */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};
