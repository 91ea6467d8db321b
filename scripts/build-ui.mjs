#!/usr/bin/env node
// Builds the dashboard (ui/) into dist/ui/: ui/src/main.ts bundled and minified by esbuild (no
// CDN, no runtime dependency), index.html and style.css copied. `npm run build` runs it after tsc;
// the browser tests run it when dist/ui is missing or older than ui/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'ui', 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'ui', f), join(out, f));
console.log(`dashboard built in ${out}`);
