/**
 * Issue 18 "Default exposure", against a real `swirl serve` process: loopback by default (and
 * said at start), a loud warning when listening beyond loopback without a token, the token from a
 * file or the environment (not only the command line), and an unauthenticated request answered
 * 401 before its body is read (specs/security.md).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swirl-exposure-'));
  dirs.push(d);
  mkdirSync(join(d, 'workflows'));
  return d;
}

after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The environment without any token variable, so a developer's own DAPR_API_TOKEN does not leak in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const k of ['SWIRL_API_TOKEN', 'DAPR_API_TOKEN']) if (!(k in extra)) delete env[k];
  return env;
}

async function stop(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0, s.stderr());
}

/** stderr once it matches (it is a separate pipe from stdout, whose line startServe waits for). */
async function stderrMatching(s: Server, re: RegExp): Promise<string> {
  const end = Date.now() + 5000;
  while (!re.test(s.stderr()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return s.stderr();
}

const metadata = (base: string, token?: string) => fetch(`${base}/v1.0/metadata`, { headers: token !== undefined ? { 'dapr-api-token': token } : {} });

test('by default serve binds 127.0.0.1 and says so; no warning on loopback', async () => {
  const s = await startServe(tempDir(), started, [], undefined, cleanEnv());
  assert.match(s.stdout(), /swirl serve listening on http:\/\/127\.0\.0\.1:\d+ /);
  assert.match(s.stdout(), /listening on 127\.0\.0\.1 only \(this machine\): pass --host 0\.0\.0\.0 to accept connections from other machines/);
  assert.doesNotMatch(s.stderr(), /WARNING/);
  await stop(s);
});

test('--host 0.0.0.0 without a token warns loudly on stderr; with a token from $SWIRL_API_TOKEN it does not', async () => {
  let s = await startServe(tempDir(), started, ['--host', '0.0.0.0'], undefined, cleanEnv());
  assert.match(s.stdout(), /swirl serve listening on http:\/\/0\.0\.0\.0:\d+ /);
  assert.match(await stderrMatching(s, /WARNING/), /WARNING: swirl serve listens on 0\.0\.0\.0, beyond this machine, WITHOUT an API token: anyone who can reach port \d+ can register workflows, start, terminate and purge instances/);
  assert.equal((await metadata(s.base)).status, 200);
  await stop(s);

  s = await startServe(tempDir(), started, ['--host', '0.0.0.0'], undefined, cleanEnv({ SWIRL_API_TOKEN: 'from-swirl-env' }));
  assert.doesNotMatch(s.stderr(), /WARNING/);
  assert.match(s.stdout(), /api token required \(from \$SWIRL_API_TOKEN\)/);
  assert.equal((await metadata(s.base)).status, 401);
  assert.equal((await metadata(s.base, 'from-swirl-env')).status, 200);
  await stop(s);
});

test('the token comes from --api-token-file or $DAPR_API_TOKEN, not only the command line', async () => {
  const dir = tempDir();
  const file = join(dir, 'token');
  writeFileSync(file, 's3cret-from-file\n');
  let s = await startServe(dir, started, ['--api-token-file', file], undefined, cleanEnv({ DAPR_API_TOKEN: 'ignored-when-a-file-is-given' }));
  assert.match(s.stdout(), /api token required \(from --api-token-file /);
  assert.doesNotMatch(s.proc.spawnargs.join(' '), /s3cret/);
  const missing = await metadata(s.base);
  assert.equal(missing.status, 401);
  assert.deepEqual(await missing.json(), { errorCode: 'ERR_UNAUTHORIZED', message: 'missing api token: send it in the dapr-api-token header' });
  assert.equal((await metadata(s.base, 'ignored-when-a-file-is-given')).status, 401);
  assert.equal((await metadata(s.base, 's3cret-from-file')).status, 200);
  await stop(s);

  s = await startServe(tempDir(), started, [], undefined, cleanEnv({ DAPR_API_TOKEN: 'from-dapr-env' }));
  assert.match(s.stdout(), /api token required \(from \$DAPR_API_TOKEN\)/);
  assert.equal((await metadata(s.base, 'from-dapr-env')).status, 200);
  await stop(s);
});

test('an empty or missing token file is a usage error (exit 2), not a server without a token', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'empty'), '\n');
  for (const [file, message] of [
    [join(dir, 'empty'), /swirl serve: --api-token-file '.*empty' is empty/],
    [join(dir, 'absent'), /swirl serve: cannot read --api-token-file '.*absent': no such file/],
  ] as const) {
    await assert.rejects(startServe(dir, started, ['--api-token-file', file], undefined, cleanEnv()), (err: Error) => {
      assert.match(err.message, /exited with 2 before listening/);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('an unauthenticated large body is answered 401 before the client has sent it (the server does not read it)', async () => {
  const s = await startServe(tempDir(), started, [], undefined, cleanEnv({ SWIRL_API_TOKEN: 'tok' }));
  const port = Number(new URL(s.base).port);
  // Declare 16 MB, send 1 KB, then wait: the answer must come while 99.99 % of the body is unsent.
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within 5 s while the body was incomplete (got: ${JSON.stringify(got)})`));
    }, 5000);
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\r\n\r\n') && got.includes('}')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', reject);
    sock.write(`POST /api/v1/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`);
    sock.write('x'.repeat(1024));
  });
  assert.match(answer, /^HTTP\/1\.1 401 /);
  assert.match(answer, /connection: close/i);
  assert.match(answer, /"errorCode":"ERR_UNAUTHORIZED"/);
  // With the token the same route still reads and handles its body.
  const ok = await fetch(`${s.base}/api/v1/workflows/validate`, { method: 'POST', headers: { 'dapr-api-token': 'tok' }, body: 'id: x' });
  assert.equal(ok.status, 200);
  await stop(s);
});
