// `swirl migrate --from sonataflow` as a user runs it: a dry run prints the diff, what was converted
// and what was not, writes nothing; --out writes standard documents (and generated OpenAPI files)
// that `swirl validate` accepts without the profile; exit 1 when something still needs the profile.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'test', 'cli', 'run-cli.ts');
const projects = join(import.meta.dirname, 'sonataflow', 'projects');
const swirl = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('swirl migrate --from sonataflow', () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'swirl-migrate-cli-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('dry run: prints the diff and the conversions, writes nothing, exit 0 when the result is standard 0.8', () => {
    const dir = join(tmp, 'greeting');
    cpSync(join(projects, 'greeting'), dir, { recursive: true });
    const file = join(dir, 'src/main/resources/greet.sw.json');
    const before = readFileSync(file, 'utf8');
    const r = swirl('migrate', '--from', 'sonataflow', dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\+ {2}"specVersion": "0\.8",$/m);
    assert.match(r.stdout, /^- {6}"end": \{ "terminate": "true" \}$/m);
    assert.match(r.stdout, /converted \/states\/3\/actions\/0\/functionRef\/arguments\/message: '\.greeting \+ \.name' → '\$\{ \.greeting \+ \.name \}'/);
    assert.match(r.stdout, /NOT converted \/functions\/0: function 'greetFunction' \(sysout\) logs only/);
    assert.match(r.stdout, /greet\.sw\.json: valid standard 0\.8/);
    assert.match(r.stdout, /1 file\(s\) migrated \(dry run: nothing written; --write or --out <dir> writes them\); 1 valid standard 0\.8/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('--out writes the standard documents and generated OpenAPI files; swirl validate accepts them without the profile', () => {
    const src = join(tmp, 'rest');
    cpSync(join(projects, 'rest-shortcut'), src, { recursive: true });
    const props = join(src, 'src/main/resources/application.properties');
    writeFileSync(props, readFileSync(props, 'utf8').replaceAll('@PORT@', '8181'));
    const out = join(tmp, 'rest-out');
    const r = swirl('migrate', '--from', 'sonataflow', src, '--out', out);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(join(out, 'src/main/resources/numbers.sw.json')));
    assert.match(readFileSync(join(out, 'src/main/resources/numbers.rest.yaml'), 'utf8'), /operationId: multiplyAllByAndSum/);
    const v = swirl('validate', join(out, 'src/main/resources/numbers.sw.json'));
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  it('--write rewrites the project in place: the files are standard 0.8 and a second migrate has nothing left to convert', () => {
    const dir = join(tmp, 'secrets-write');
    cpSync(join(projects, 'secrets'), dir, { recursive: true });
    const file = join(dir, 'src/main/resources/secret.sw.yaml');
    const r = swirl('migrate', '--from', 'sonataflow', dir, '--write');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^specVersion: '0\.8'$/m);
    assert.match(text, /\$SECRETS\.SWIRL_SF_TOKEN == "t0k3n"/);
    assert.match(text, /^secrets:\n {2}- SWIRL_SF_TOKEN$/m);
    assert.doesNotMatch(text, /end: 'true'/);
    const v = swirl('validate', file);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const again = swirl('migrate', '--from', 'sonataflow', dir);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.doesNotMatch(again.stdout, /converted \//);
  });

  it('exit 1 and the reason when a document still needs the profile; usage errors exit 2', () => {
    const r = swirl('migrate', '--from', 'sonataflow', join(projects, 'workflow-vars'));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /NOT converted \/functions\/0\/operation: .*reads \$WORKFLOW/);
    assert.match(r.stdout, /NOT valid standard 0\.8/);
    const u = swirl('migrate', '--from', 'camunda', projects);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /--from 'camunda' is not supported; Swirl migrates from 'sonataflow'/);
  });
});
