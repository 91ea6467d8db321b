/**
 * The CLI the tests run: the source (src/cli/main.ts) by default; with SWIRL_TEST_CLI=bundle the
 * bundle that bin/swirl runs (dist/cli-bundle/main.js, written by `npm run build`), so that the
 * same tests check the built CLI (scripts/build-cli.mjs).
 */
import type { main as sourceMain } from '../../src/cli/main.js';

/** The `main` of the CLI under test. */
export async function cliMain(): Promise<typeof sourceMain> {
  if (process.env.SWIRL_TEST_CLI === 'bundle') {
    // A computed specifier: the bundle is a build output, not part of the typed sources.
    const bundle = new URL('../../dist/cli-bundle/main.js', import.meta.url).href;
    return ((await import(bundle)) as { main: typeof sourceMain }).main;
  }
  return (await import('../../src/cli/main.js')).main;
}
