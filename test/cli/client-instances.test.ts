/**
 * `swirl instances …` against a real `swirl serve` child (with an API token): golden table and
 * JSON output of `list`, `start` printing the id, `start --wait` printing the output with the
 * exit code by outcome, the filters, and the exit codes scripts rely on (specs/cli.md): 2 usage,
 * 3 unreachable, 4 not found, 5 unauthorized.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe, type Server } from '../host/serve-child.js';
import { cli } from './in-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dir: string;
let server: Server;
let env: Record<string, string>;

const HELLO = `id: hello
version: '1.0'
specVersion: '0.8'
name: Hello
states:
  - name: Greet
    type: inject
    data: { greeting: Hello }
    stateDataFilter:
      output: '\${ {message: "\\(.greeting), \\(.name // "world")!"} }'
    end: true
`;
const APPROVE = `id: approve
specVersion: '0.8'
events:
  - name: Approval
    type: approval
    source: /approver
states:
  - name: Wait
    type: event
    onEvents:
      - eventRefs: [Approval]
    end: true
`;
const FAIL = `id: fail
specVersion: '0.8'
states:
  - name: Charge
    type: inject
    data: {}
    stateDataFilter:
      output: '\${ error("card declined") }'
    end: true
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-client-instances-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'hello.yaml'), HELLO);
  writeFileSync(join(dir, 'workflows', 'approve.yaml'), APPROVE);
  writeFileSync(join(dir, 'workflows', 'fail.yaml'), FAIL);
  server = await startServe(dir, started, ['--api-token', 's3cret']);
  env = { SWIRL_URL: server.base, SWIRL_API_TOKEN: 's3cret' };
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the instance has `status` (a start answers while the instance is still PENDING). */
async function waitFor(id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${server.base}/api/v1/instances/${id}`, { headers: { 'dapr-api-token': 's3cret' } });
    if (res.ok && ((await res.json()) as { runtimeStatus: string }).runtimeStatus === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${id} never reached ${status}`);
}

/** Times change from run to run; the placeholder has the same width, so alignment is kept. */
const fixTimes = (s: string) => s.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (t) => (t.length === 20 ? 'YYYY-MM-DDTHH:MM:SSZ' : '<time>'));

test('start prints the id alone; --wait prints the output and exits 0; the list golden in table, JSON and YAML form', async () => {
  const h = await cli(['instances', 'start', 'hello', '--id', 'h1', '--input', '{"name":"Ada"}', '--wait'], env);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(h.stdout, '{"message":"Hello, Ada!"}\n');
  assert.match(h.stderr, /^started instance h1 of 'hello'; waiting for it to finish/);
  // `--instance-id` is the same option (the spelling `swirl run` uses).
  const a = await cli(['instances', 'start', 'approve', '--instance-id', 'a1'], env);
  assert.deepEqual(a, { code: 0, stdout: 'a1\n', stderr: '' });
  await waitFor('a1', 'RUNNING');

  const table = await cli(['instances', 'list'], env);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(
    fixTimes(table.stdout),
    [
      'ID   WORKFLOW   STATUS      CREATED                UPDATED',
      'h1   hello      COMPLETED   YYYY-MM-DDTHH:MM:SSZ   YYYY-MM-DDTHH:MM:SSZ',
      'a1   approve    RUNNING     YYYY-MM-DDTHH:MM:SSZ   YYYY-MM-DDTHH:MM:SSZ',
      '',
    ].join('\n'),
  );
  const json = await cli(['instances', 'list', '-o', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(
    fixTimes(json.stdout),
    `{
  "instances": [
    {
      "instanceID": "h1",
      "workflowName": "hello",
      "runtimeStatus": "COMPLETED",
      "createdAt": "<time>",
      "lastUpdatedAt": "<time>"
    },
    {
      "instanceID": "a1",
      "workflowName": "approve",
      "runtimeStatus": "RUNNING",
      "createdAt": "<time>",
      "lastUpdatedAt": "<time>"
    }
  ]
}
`,
  );
  const yaml = await cli(['instances', 'list', '--status', 'RUNNING', '-o', 'yaml'], env);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.equal(fixTimes(yaml.stdout), "instances:\n  - instanceID: a1\n    workflowName: approve\n    runtimeStatus: RUNNING\n    createdAt: '<time>'\n    lastUpdatedAt: '<time>'\n");
  const started1 = await cli(['instances', 'start', 'hello', '-o', 'json'], env);
  assert.equal(started1.code, 0, started1.stderr);
  const id = JSON.parse(started1.stdout).instanceID;
  assert.match(id, /^[0-9a-f-]{36}$/);
  await waitFor(id, 'COMPLETED');
});

test('list filters: --workflow, --status (comma list), --since, --id-prefix, --limit says when more match', async () => {
  const byWorkflow = await cli(['instances', 'list', '--workflow', 'approve', '-o', 'json'], env);
  assert.deepEqual(JSON.parse(byWorkflow.stdout).instances.map((i: { instanceID: string }) => i.instanceID), ['a1']);
  const byStatus = await cli(['instances', 'list', '--status', 'completed,running', '--limit', '2'], env);
  assert.equal(byStatus.code, 0, byStatus.stderr);
  const lines = byStatus.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4, byStatus.stdout);
  assert.equal(lines[3], '(showing the first 2; more match: raise --limit or narrow the filter)');
  const limitedJson = JSON.parse((await cli(['instances', 'list', '--limit', '1', '-o', 'json'], env)).stdout);
  assert.equal(limitedJson.instances.length, 1);
  assert.equal(typeof limitedJson.nextPageToken, 'string');
  const future = await cli(['instances', 'list', '--since', '2999-01-01T00:00:00Z'], env);
  assert.deepEqual(future, { code: 0, stdout: 'no instances found\n', stderr: '' });
  const recent = JSON.parse((await cli(['instances', 'list', '--since', '1h', '-o', 'json'], env)).stdout);
  assert.equal(recent.instances.length, 3);
  const byPrefix = await cli(['instances', 'list', '--id-prefix', 'h', '-o', 'json'], env);
  assert.equal(byPrefix.code, 0, byPrefix.stderr);
  assert.deepEqual(JSON.parse(byPrefix.stdout).instances.map((i: { instanceID: string }) => i.instanceID), ['h1']);
  assert.deepEqual(await cli(['instances', 'list', '--id-prefix', 'H'], env), { code: 0, stdout: 'no instances found\n', stderr: '' }, 'case-sensitive');
  assert.deepEqual(await cli(['instances', 'list', '--id-prefix', 'a b'], env), {
    code: 2,
    stdout: '',
    stderr: "swirl instances list: --id-prefix must be 1-200 characters from A-Z a-z 0-9 _ - . :, not 'a b'\n",
  });
});

test('start --wait 10s: a usage error that says --wait takes no value', async () => {
  const r = await cli(['instances', 'start', 'hello', '--wait', '10s'], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /too many arguments for 'start'/);
  assert.match(r.stderr, /hint: --wait takes no value: it waits until the instance finishes/);
  // Any other excess argument gets commander's message alone.
  const other = await cli(['instances', 'start', 'hello', 'extra'], env);
  assert.equal(other.code, 2);
  assert.doesNotMatch(other.stderr, /hint:/);
});

test('start --wait of a failing instance exits 1 with the failure on stderr', async () => {
  const r = await cli(['instances', 'start', 'fail', '--id', 'f1', '--wait'], env);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^instance f1 FAILED \(code EXPRESSION_ERROR\): state 'Charge': .*card declined/m);
  const json = await cli(['instances', 'start', 'fail', '--id', 'f2', '--wait', '-o', 'json'], env);
  assert.equal(json.code, 1);
  const body = JSON.parse(json.stdout);
  assert.equal(body.runtimeStatus, 'FAILED');
  assert.equal(body.failure.code, 'EXPRESSION_ERROR');
});

test('start --wait of an instance waiting for an event answers when the event finishes it (?wait= long-poll)', async () => {
  const waiting = cli(['instances', 'start', 'approve', '--id', 'aw1', '--input', '{"order":7}', '--wait'], env);
  await waitFor('aw1', 'RUNNING');
  const raised = await fetch(`${server.base}/v1.0/workflows/dapr/aw1/raiseEvent/Approval`, {
    method: 'POST',
    headers: { 'dapr-api-token': 's3cret', 'content-type': 'application/json' },
    body: '{"ok":true}',
  });
  assert.equal(raised.status, 202);
  const r = await waiting;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '{"order":7,"ok":true}\n');
  assert.match(r.stderr, /^started instance aw1 of 'approve'; waiting for it to finish/);
});

test('exit codes: 2 usage, 4 not found, 5 unauthorized — with one error line on stderr', async () => {
  const usage = await cli(['instances', 'list', '-o', 'xml'], env);
  assert.deepEqual(usage, { code: 2, stdout: '', stderr: "swirl instances list: -o must be one of table, json, yaml, not 'xml'\n" });
  const since = await cli(['instances', 'list', '--since', 'yesterday'], env);
  assert.equal(since.code, 2);
  assert.match(since.stderr, /--since must be an age such as 30m, 2h, 7d or PT2H, or a date-time such as 2026-01-31T12:00:00Z, not 'yesterday'/);
  const badInput = await cli(['instances', 'start', 'hello', '--input', '{oops'], env);
  assert.equal(badInput.code, 2);
  assert.match(badInput.stderr, /^swirl instances start: --input is not valid JSON/);
  const badStatus = await cli(['instances', 'list', '--status', 'SLEEPING'], env);
  assert.equal(badStatus.code, 2, 'the server answers 400');
  assert.match(badStatus.stderr, /unknown status 'SLEEPING' .*\(ERR_BAD_REQUEST, HTTP 400\)/);
  const unknownWorkflow = await cli(['instances', 'start', 'nope'], env);
  assert.equal(unknownWorkflow.code, 4);
  assert.match(unknownWorkflow.stderr, /^swirl instances start: no workflow definition with id 'nope' is registered \(ERR_WORKFLOW_NOT_FOUND, HTTP 404\)\n$/);
  const noToken = await cli(['instances', 'list'], { SWIRL_URL: server.base, SWIRL_API_TOKEN: undefined });
  assert.deepEqual(noToken, { code: 5, stdout: '', stderr: 'swirl instances list: missing api token: send it in the dapr-api-token header (ERR_UNAUTHORIZED, HTTP 401)\n' });
  writeFileSync(join(dir, 'token'), 's3cret\n');
  const fromFile = await cli(['instances', 'list', '--url', server.base, '--api-token-file', join(dir, 'token'), '--workflow', 'approve', '-o', 'json'], { SWIRL_URL: 'http://127.0.0.1:1', SWIRL_API_TOKEN: 'wrong' });
  assert.equal(fromFile.code, 0, 'the flags win over the environment: ' + fromFile.stderr);
  writeFileSync(join(dir, 'bad-token'), 'nope');
  const wrong = await cli(['instances', 'list', '--api-token-file', join(dir, 'bad-token')], env);
  assert.equal(wrong.code, 5);
  assert.match(wrong.stderr, /invalid api token/);
});

test('a real process: an unreachable server exits 3 and says where it looked', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'instances', 'list'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SWIRL_URL: 'http://127.0.0.1:9' },
    timeout: 60_000,
  });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'swirl instances list: cannot reach the Swirl server at http://127.0.0.1:9 (ECONNREFUSED); is `swirl serve` running there? Point to it with --url or SWIRL_URL\n');
});
