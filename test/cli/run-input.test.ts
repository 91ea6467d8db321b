/**
 * `swirl run --input` refuses input the workflow can only fail on (issue 11), as `swirl serve`
 * does: exit 2, each problem on stderr (JSON pointer + message), no instance started.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'swirl-run-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function swirl(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'node_modules/tsx/dist/cli.mjs'), join(repo, 'test/cli/run-cli.ts'), ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

writeFileSync(join(dir, 'person.json'), JSON.stringify({ type: 'object', required: ['name'], properties: { age: { type: 'integer', minimum: 0 } } }));
const file = join(dir, 'greet.yaml');
writeFileSync(file, ['id: greet', "specVersion: '0.8'", 'dataInputSchema: person.json', 'states:', '  - name: Done', '    type: inject', '    data: {ok: true}', '    end: true', ''].join('\n'));

test('run: input that fails dataInputSchema exits 2 with every problem, and starts nothing', () => {
  const r = swirl('run', file, '--input', '{"age":-1}', '--store', 'memory');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines[0], "swirl run: --input is refused by workflow 'greet':");
  assert.deepEqual(lines.slice(1).sort(), ["    /: must have required property 'name'", '    /age: must be >= 0']);
  assert.doesNotMatch(r.stderr, /started instance/);
});

test('run: input that is not an object exits 2', () => {
  const r = swirl('run', file, '--input', '[1]', '--store', 'memory');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ {4}\/: workflow input must be a JSON object, not an array$/m);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.db')), []);
});

test('run: valid input runs (exit 0)', () => {
  const r = swirl('run', file, '--input', '{"name":"Ada"}', '--store', 'memory');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { name: 'Ada', ok: true });
});
