/**
 * `swirl instances raise|suspend|resume|terminate|purge` and `swirl workflows list|get|register|
 * validate` against a real `swirl serve` child: confirmation lines and JSON, the effect seen
 * through the API (status, output), terminate with and without --recursive on a parent with a
 * waiting sub-workflow, single and bulk purge, golden workflow tables, diagnostics naming the
 * local file, and exit code 4 for unknown instances.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from '../host/serve-child.js';
import { cli } from './in-process.js';

const started: ChildProcess[] = [];
let dir: string;
let server: Server;
let env: Record<string, string>;

const APPROVE = `id: approve
version: '2'
specVersion: '0.8'
name: Approval
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
const PARENT = `id: parent
specVersion: '0.8'
states:
  - name: Delegate
    type: operation
    actions:
      - subFlowRef: approve
    end: true
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-client-control-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'approve.yaml'), APPROVE);
  writeFileSync(join(dir, 'workflows', 'parent.yaml'), PARENT);
  server = await startServe(dir, started);
  env = { SWIRL_URL: server.base, SWIRL_API_TOKEN: undefined } as unknown as Record<string, string>;
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Detail {
  runtimeStatus: string;
  output?: unknown;
  parentInstanceID?: string;
}
async function detail(id: string): Promise<Detail> {
  return (await (await fetch(`${server.base}/api/v1/instances/${id}`)).json()) as Detail;
}
async function waitFor(id: string, status: string): Promise<Detail> {
  for (let i = 0; i < 200; i++) {
    const d = await detail(id);
    if (d.runtimeStatus === status) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${id} never reached ${status}`);
}
/** The sub-workflow instance a parent started. */
async function childOf(parent: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const list = (await (await fetch(`${server.base}/api/v1/instances?workflow=approve`)).json()) as { instances: { instanceID: string }[] };
    for (const { instanceID } of list.instances) if ((await detail(instanceID)).parentInstanceID === parent) return instanceID;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no child of ${parent}`);
}

test('suspend, resume and raise: a confirmation line each, and the instance completes with the event data', async () => {
  assert.equal((await cli(['instances', 'start', 'approve', '--id', 'r1'], env)).code, 0);
  await waitFor('r1', 'RUNNING');
  assert.deepEqual(await cli(['instances', 'suspend', 'r1'], env), { code: 0, stdout: 'instance r1 suspended\n', stderr: '' });
  await waitFor('r1', 'SUSPENDED');
  assert.deepEqual(await cli(['instances', 'resume', 'r1', '-o', 'json'], env), { code: 0, stdout: '{\n  "instanceID": "r1",\n  "resumed": true\n}\n', stderr: '' });
  await waitFor('r1', 'RUNNING');
  writeFileSync(join(dir, 'approval.json'), '{"approved": true, "by": "grace"}');
  assert.deepEqual(await cli(['instances', 'raise', 'r1', 'Approval', '--data', `@${join(dir, 'approval.json')}`], env), { code: 0, stdout: "raised event 'Approval' on instance r1\n", stderr: '' });
  const done = await waitFor('r1', 'COMPLETED');
  assert.deepEqual(done.output, { approved: true, by: 'grace' });
});

test('terminate, suspend and resume of a finished instance say it is left as it is (not "terminated")', async () => {
  assert.equal((await cli(['instances', 'start', 'approve', '--id', 'f1'], env)).code, 0);
  await waitFor('f1', 'RUNNING');
  assert.equal((await cli(['instances', 'raise', 'f1', 'Approval', '--data', '{}'], env)).code, 0);
  await waitFor('f1', 'COMPLETED');
  assert.deepEqual(await cli(['instances', 'terminate', 'f1'], env), { code: 0, stdout: 'instance f1 was already COMPLETED: left as it is\n', stderr: '' });
  assert.deepEqual(await cli(['instances', 'suspend', 'f1'], env), { code: 0, stdout: 'instance f1 is already COMPLETED: nothing to suspend\n', stderr: '' });
  assert.deepEqual(await cli(['instances', 'resume', 'f1', '-o', 'json'], env), {
    code: 0,
    stdout: '{\n  "instanceID": "f1",\n  "resumed": false,\n  "runtimeStatus": "COMPLETED"\n}\n',
    stderr: '',
  });
  assert.equal((await detail('f1')).runtimeStatus, 'COMPLETED');
  assert.equal((await cli(['instances', 'purge', 'f1'], env)).code, 0);
});

test('unknown instances exit 4 for every control command', async () => {
  for (const args of [['raise', 'ghost', 'Approval'], ['suspend', 'ghost'], ['resume', 'ghost'], ['terminate', 'ghost'], ['purge', 'ghost']]) {
    const r = await cli(['instances', ...args], env);
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^swirl instances ${args[0]}: unable to find workflow with the provided instance ID: ghost \\(ERR_INSTANCE_ID_NOT_FOUND, HTTP 404\\)\\n$`));
  }
});

test('terminate leaves the sub-workflow running; terminate --recursive ends it too', async () => {
  assert.equal((await cli(['instances', 'start', 'parent', '--id', 'p1'], env)).code, 0);
  const c1 = await childOf('p1');
  await waitFor(c1, 'RUNNING');
  assert.deepEqual(await cli(['instances', 'terminate', 'p1'], env), { code: 0, stdout: 'instance p1 terminated\n', stderr: '' });
  await waitFor('p1', 'TERMINATED');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await detail(c1)).runtimeStatus, 'RUNNING', 'the child goes on');

  assert.equal((await cli(['instances', 'start', 'parent', '--id', 'p2'], env)).code, 0);
  const c2 = await childOf('p2');
  await waitFor(c2, 'RUNNING');
  assert.deepEqual(await cli(['instances', 'terminate', 'p2', '--recursive'], env), { code: 0, stdout: 'instance p2 terminated with its sub-workflows\n', stderr: '' });
  await waitFor('p2', 'TERMINATED');
  await waitFor(c2, 'TERMINATED');
  // Clean up the child left running, for the purge test.
  assert.equal((await cli(['instances', 'terminate', c1], env)).code, 0);
  await waitFor(c1, 'TERMINATED');
});

test('purge: one by id, a running one refused (exit 1), bulk by status, and a bare purge refused (exit 2)', async () => {
  assert.equal((await cli(['instances', 'start', 'approve', '--id', 'live'], env)).code, 0);
  await waitFor('live', 'RUNNING');
  const running = await cli(['instances', 'purge', 'live'], env);
  assert.equal(running.code, 1);
  assert.match(running.stderr, /cannot purge instance 'live': it is RUNNING; only COMPLETED, FAILED or TERMINATED instances can be purged/);
  assert.deepEqual(await cli(['instances', 'purge', 'r1'], env), { code: 0, stdout: 'purged instance r1\n', stderr: '' });
  assert.equal((await fetch(`${server.base}/api/v1/instances/r1`)).status, 404);
  const bare = await cli(['instances', 'purge'], env);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /give an instance id, or --status and\/or --before/);
  const both = await cli(['instances', 'purge', 'p1', '--status', 'TERMINATED'], env);
  assert.equal(both.code, 2);
  const none = await cli(['instances', 'purge', '--status', 'TERMINATED', '--before', '2000-01-01T00:00:00Z'], env);
  assert.deepEqual(none, { code: 0, stdout: 'purged 0 instances\n', stderr: '' });
  // p1, p2 and their children: four terminated instances.
  const bulk = await cli(['instances', 'purge', '--status', 'TERMINATED', '-o', 'json'], env);
  assert.deepEqual(bulk, { code: 0, stdout: '{\n  "deletedInstanceCount": 4\n}\n', stderr: '' });
  const left = JSON.parse((await cli(['instances', 'list', '-o', 'json'], env)).stdout);
  assert.deepEqual(left.instances.map((i: { instanceID: string }) => i.instanceID), ['live']);
  assert.equal((await cli(['instances', 'terminate', 'live'], env)).code, 0);
});

test('workflows list and get: golden table and fields', async () => {
  const list = await cli(['workflows', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  const src = join(dir, 'workflows');
  const lines = list.stdout.split('\n');
  assert.equal(lines[0], 'ID        VERSION   NAME       HASH           STARTS ON        SOURCE');
  assert.match(lines[1]!, new RegExp(`^approve   2         Approval   [0-9a-f]{12}   event Approval   ${src}/approve\\.yaml$`));
  assert.match(lines[2]!, new RegExp(`^parent    -         -          [0-9a-f]{12}   request          ${src}/parent\\.yaml$`));
  const get = await cli(['workflows', 'get', 'approve'], env);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^Id: {9}approve\nVersion: {4}2\nName: {7}Approval\nHash: {7}[0-9a-f]{64}\nSource: {5}.*approve\.yaml\nStarts on: {2}event Approval\nDefinition:\n {2}id: approve\n/);
  const json = JSON.parse((await cli(['workflows', 'get', 'approve', '-o', 'json'], env)).stdout);
  assert.equal(json.definition.states[0].name, 'Wait');
  const missing = await cli(['workflows', 'get', 'nope'], env);
  assert.equal(missing.code, 4);
});

test('workflows validate and register: diagnostics name the local file; invalid exits 1; registered is startable', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, "id: bad\nspecVersion: '0.8'\nstart: Frist\nstates:\n  - name: First\n    type: inject\n    data: {}\n    end: true\n");
  const v = await cli(['workflows', 'validate', bad], env);
  assert.equal(v.code, 1);
  assert.match(v.stdout, new RegExp(`^${bad}:3:8: error UNKNOWN_STATE .*'Frist'`, 'm'));
  assert.match(v.stdout, new RegExp(`${bad}: invalid definition\\n$`));
  const r = await cli(['workflows', 'register', bad, '-o', 'json'], env);
  assert.equal(r.code, 1);
  const body = JSON.parse(r.stdout);
  assert.equal(body.valid, false);
  assert.equal(body.diagnostics[0].file, bad);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, "id: good\nversion: '1'\nspecVersion: '0.8'\nstates:\n  - name: Only\n    type: inject\n    data: { ok: true }\n    end: true\n");
  assert.deepEqual(await cli(['workflows', 'validate', good], env), { code: 0, stdout: `${good}: valid\n`, stderr: '' });
  const reg = await cli(['workflows', 'register', good], env);
  assert.equal(reg.code, 0, reg.stderr);
  assert.match(reg.stdout, /^registered workflow 'good' version 1 \([0-9a-f]{12}\)\n$/);
  const run = await cli(['instances', 'start', 'good', '--wait'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '{"ok":true}\n');
  const unreadable = await cli(['workflows', 'register', join(dir, 'missing.yaml')], env);
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /cannot read '.*missing\.yaml': ENOENT/);
});
