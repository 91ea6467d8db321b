// `swirl run`: stdout holds only the output JSON; exit codes 0/1/2; --workflows; resume by instance id.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../cli/run-cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sqliteAvailable = existsSync(new URL('../../src/store/sqlite.ts', import.meta.url));

function swirl(args: string[], killAfterMs?: number, interruptOn?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    // In the temp dir: the default store (sqlite:swirl.db) lands there, not in the repository.
    const p = spawn(process.execPath, [tsx, cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => {
      stderr += c;
      // Ctrl-C once the run reached the given progress line.
      if (interruptOn?.test(stderr)) {
        interruptOn = undefined;
        p.kill('SIGINT');
      }
    });
    const t = killAfterMs !== undefined ? setTimeout(() => p.kill('SIGKILL'), killAfterMs) : undefined;
    p.on('exit', (code, signal) => {
      if (t) clearTimeout(t);
      resolve({ code, stdout, stderr, killed: signal === 'SIGKILL' });
    });
  });
}

function write(name: string, def: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(def));
  return f;
}

describe('swirl run', () => {
  const sub = join(dir, 'subflows');
  mkdirSync(sub);
  writeFileSync(join(sub, 'child.json'), JSON.stringify({ id: 'child', specVersion: '0.8', states: [{ name: 'C', type: 'inject', data: { fromChild: true }, end: true }] }));
  const main = write('main.json', {
    id: 'main',
    specVersion: '0.8',
    functions: [{ name: 'hello', type: 'expression', operation: '"Hello " + .name' }],
    states: [
      { name: 'Greet', type: 'operation', actions: [{ functionRef: 'hello', actionDataFilter: { toStateData: '.greeting' } }, { subFlowRef: 'child' }], transition: 'Nap' },
      { name: 'Nap', type: 'sleep', duration: 'PT1S', end: true },
    ],
  });

  it('prints only the output JSON on stdout and progress on stderr (exit 0), with subflows from --workflows', async () => {
    const r = await swirl(['run', main, '--input', '{"name":"Ada"}', '--workflows', sub]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'Ada', greeting: 'Hello Ada', fromChild: true });
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stderr, /state 'Greet' \(operation\)/);
    // The start is said before the instance's first state (the workers start after it).
    assert.match(r.stderr, /^\[swirl\] started instance [0-9a-f-]+ of '[^']+'\n\[swirl\] state 'Greet' \(operation\)/m);
  });

  it('exits 1 with the failure on stderr, 2 on definition or usage errors', async () => {
    const failing = write('failing.json', { id: 'failing', specVersion: '0.8', states: [{ name: 'Boom', type: 'switch', dataConditions: [{ condition: '${ error("bad") }', end: true }], defaultCondition: { end: true } }] });
    const invalid = write('invalid.json', { id: 'invalid', specVersion: '0.8', states: [{ name: 'A', type: 'inject', data: {}, transition: 'Nowhere' }] });
    // Independent processes: run them side by side.
    const [r1, r2, r3] = await Promise.all([swirl(['run', failing]), swirl(['run', invalid]), swirl(['run', main, '--input', '{not json'])]);
    assert.equal(r1.code, 1);
    assert.equal(r1.stdout, '');
    assert.match(r1.stderr, /FAILED \(code EXPRESSION_ERROR\): state 'Boom'/);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /unknown state 'Nowhere'/);
    assert.equal(r3.code, 2);
  });

  it('Ctrl-C stops cleanly; re-running with the same --store and --instance-id resumes', { skip: sqliteAvailable ? false : 'needs sqlite' }, async () => {
    const slow = write('slow.json', {
      id: 'slow',
      specVersion: '0.8',
      states: [
        { name: 'One', type: 'inject', data: { step: 1 }, transition: 'Wait' },
        { name: 'Wait', type: 'sleep', duration: 'PT3S', transition: 'Two' },
        { name: 'Two', type: 'inject', data: { step: 2 }, end: true },
      ],
    });
    const store = `sqlite:${join(dir, 'resume.db')}`;
    const first = await swirl(['run', slow, '--store', store, '--instance-id', 'resume-1'], undefined, /sleeping/);
    assert.equal(first.code, 130, 'Ctrl-C stops cleanly with exit 130 (interrupted, not a failed instance)');
    assert.equal(first.stdout, '');
    assert.match(first.stderr, /interrupted \(SIGINT\); instance resume-1 is kept in .*Re-run with --store .* --instance-id resume-1 to resume/);
    const second = await swirl(['run', slow, '--store', store, '--instance-id', 'resume-1']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming instance resume-1/);
    assert.deepEqual(JSON.parse(second.stdout), { step: 2 });
  });
});
