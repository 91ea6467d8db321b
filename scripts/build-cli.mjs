#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, tsc's output) into dist/cli-bundle/, which bin/swirl
// runs: Node 20's ESM loader spends ~1 ms of CPU per module file (resolve, read, compile, link)
// and `swirl serve` reached ~270 of Swirl's files by its listening line; one file (plus a chunk per
// lazy boundary) takes most of that off every start (issue 12, bench/startup.ts). `npm run build`
// runs it after tsc. The JavaScript is tsc's, only joined: packages stay imports of node_modules
// (never copied in), and every dynamic import() stays a separate chunk loaded on first use, so
// what loads when is unchanged (test/cli/serve-startup.test.ts, run on the bundle with
// SWIRL_TEST_CLI=bundle). The chunks sit one folder below dist/ like every compiled module, so the
// paths modules take from import.meta.url (../../proto/, ../ui) still point at the same files.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'cli-bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(`CLI bundled in ${out}`);
