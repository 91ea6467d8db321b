/**
 * `swirl serve` start-up failures: usage errors exit 2, a broken component file exits 1 with a
 * message naming the file and field, before anything listens.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'test', 'cli', 'run-cli.ts');
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'swirl-serve-cli-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const serve = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, 'serve', '--port', '0', '--store', 'memory', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

test('usage errors exit 2', () => {
  const r = serve('--store', 'mysql://x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--store must be sqlite:<path>, postgres:\/\/user@host:port\/db\[\?schema=name\] or memory, not 'mysql:\/\/x'/);
  const p = serve('--port', 'http');
  assert.equal(p.status, 2);
  assert.match(p.stderr, /--port must be a port number/);
  const g = serve('--grpc-port', '70000');
  assert.equal(g.status, 2);
  assert.match(g.stderr, /--grpc-port must be a port number \(0: no gRPC\), not '70000'/);
});

test('a component file with missing metadata stops the start with the file and field named', () => {
  const components = join(dir, 'components');
  mkdirSync(components);
  writeFileSync(join(components, 'reports.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: reports\nspec:\n  type: bindings.http\n  version: v1\n  metadata: []\n');
  const r = serve('--workflows', join(root, 'samples', 'hello'), '--components', components);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /reports\.yaml/);
  assert.match(r.stderr, /url/);
  assert.doesNotMatch(r.stdout, /listening/);
});
