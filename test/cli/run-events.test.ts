/**
 * @module test/cli/run-events.test
 * Issue 13: `swirl run` of a workflow that waits for an event, as real child processes.
 * `--event name=@file` / `name=<json>` is delivered when the wait starts, as a CloudEvent of the
 * definition's type with the correlation attributes the wait expects (or the data's field); a wait
 * nothing will satisfy gets a one-time hint naming the event and `swirl serve` + POST
 * /api/v1/events; SIGINT/SIGTERM exit 130 — with `--store memory` without offering to resume, with
 * a SQLite store with the command that resumes (and that command does).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const launcher = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-run-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Waits for an approval whose orderid is computed from the input; the decision becomes the output. */
const approve = join(dir, 'approve.yaml');
writeFileSync(
  approve,
  `id: approve
specVersion: '0.8'
events:
  - name: approval
    type: com.example.approval
    source: /approvals
    correlation:
      - contextAttributeName: orderid
        contextAttributeValue: '\${ .order }'
states:
  - name: WaitApproval
    type: event
    onEvents:
      - eventRefs: [approval]
        eventDataFilter: { toStateData: '\${ .decision }' }
    end: true
`,
);

/** Two waits for the same event, correlated by a value the first event fixes (no contextAttributeValue). */
const twice = join(dir, 'twice.yaml');
writeFileSync(
  twice,
  `id: twice
specVersion: '0.8'
events:
  - name: tick
    type: com.example.tick
    source: /devices
    correlation:
      - contextAttributeName: deviceid
states:
  - name: First
    type: event
    onEvents:
      - eventRefs: [tick]
        eventDataFilter: { data: '\${ .n }', toStateData: '\${ .first }' }
    transition: Second
  - name: Second
    type: event
    onEvents:
      - eventRefs: [tick]
        eventDataFilter: { data: '\${ .n }', toStateData: '\${ .second }' }
    end: true
`,
);

interface Child {
  code: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr has matched `re`. */
  waitFor(re: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function swirl(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', launcher, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers: Array<() => void> = [];
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...watchers]) w();
  });
  const code = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return {
    code,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(err)) resolve();
        };
        watchers.push(check);
        check();
        void code.then(() => (re.test(err) ? resolve() : reject(new Error(`exited before stderr matched ${re}:\n${err}`))));
      }),
    kill: (signal) => proc.kill(signal),
  };
}

test('--event name=@file is delivered when the wait starts, with the type and correlation the definition asks for; the run completes; an unused --event is reported', { timeout: 60_000 }, async () => {
  const data = join(dir, 'approval.json');
  writeFileSync(data, '{"approved": true, "by": "ann"}');
  const run = swirl(['run', approve, '--store', 'memory', '--input', '{"order":"o-17"}', '--event', `approval=@${data}`, '--event', 'approval={"spare":true}']);
  assert.equal(await run.code, 0, run.stderr());
  // The second value had no wait to go to: said, not dropped silently.
  assert.match(run.stderr(), /swirl run: warning: one --event approval value was not delivered: the instance ended without waiting for it\n/);
  assert.equal(run.stdout(), '{"order":"o-17","decision":{"approved":true,"by":"ann"}}\n');
  assert.match(run.stderr(), /\[swirl\] delivered --event approval to state 'WaitApproval' \(CloudEvent type 'com\.example\.approval', id [0-9a-f-]{36}\)\n/);
  assert.doesNotMatch(run.stderr(), /hint:/);
});

test('repeated inline --event values go one per wait, in order; a correlation value comes from the data when the wait has none yet', { timeout: 60_000 }, async () => {
  const run = swirl(['run', twice, '--store', 'memory', '--event', 'tick={"deviceId":"d1","n":1}', '--event', 'tick={"deviceid":"d1","n":2}']);
  assert.equal(await run.code, 0, run.stderr());
  assert.equal(run.stdout(), '{"first":1,"second":2}\n');
  assert.match(run.stderr(), /delivered --event tick to state 'First'[^\n]*\n[\s\S]*delivered --event tick to state 'Second'/);
});

test('a wait nobody will satisfy: the hint names the event once; SIGINT exits 130 and, in memory, offers no resume', { timeout: 60_000 }, async () => {
  const run = swirl(['run', approve, '--store', 'memory', '--input', '{"order":"o-18"}']);
  await run.waitFor(/hint: or run the workflow under 'swirl serve'.*\n/);
  // Long enough for several more inspections of the same wait: the hint is not repeated.
  await new Promise((r) => setTimeout(r, 700));
  run.kill('SIGINT');
  assert.equal(await run.code, 130, run.stderr());
  const err = run.stderr();
  const hint =
    `is waiting in state 'WaitApproval' for event 'approval' (type 'com.example.approval', source '/approvals'); nothing delivers it in this run.\n` +
    `    hint: pass it: swirl run … --event approval=@event.json (the event's data, or a whole CloudEvent)\n` +
    `    hint: or run the workflow under 'swirl serve' and POST the CloudEvent to /api/v1/events\n`;
  assert.equal(err.split(hint).length - 1, 1, err);
  assert.match(err, /swirl run: interrupted \(SIGINT\); instance [0-9a-f-]{36} is gone with the memory store \(nothing to resume: use --store sqlite:<file> for a resumable run\)\n/);
  assert.doesNotMatch(err, /Re-run|--instance-id/);
  assert.equal(run.stdout(), '');
});

test('SIGTERM on a SQLite store exits 130 and says how to resume; that command (or --id), given the event, completes the instance', { timeout: 90_000 }, async () => {
  const store = `sqlite:${join(dir, 'resume.db')}`;
  const first = swirl(['run', approve, '--store', store, '--instance-id', 'order-19', '--input', '{"order":"o-19"}']);
  await first.waitFor(/nothing delivers it in this run/);
  first.kill('SIGTERM');
  assert.equal(await first.code, 130, first.stderr());
  assert.match(first.stderr(), new RegExp(`swirl run: interrupted \\(SIGTERM\\); instance order-19 is kept in '${store}'\\. Re-run with --store ${store} --instance-id order-19 to resume\\.\\n`));
  // `--id` is the same option (the spelling `swirl instances start` uses).
  const again = swirl(['run', approve, '--store', store, '--id', 'order-19', '--event', 'approval="yes"']);
  assert.equal(await again.code, 0, again.stderr());
  assert.match(again.stderr(), /\[swirl\] resuming instance order-19 \(RUNNING\)/);
  assert.equal(again.stdout(), '{"order":"o-19","decision":"yes"}\n');
});

test('an --event for an event the workflow does not define is a usage error with a did-you-mean', { timeout: 60_000 }, async () => {
  const run = swirl(['run', approve, '--store', 'memory', '--event', 'aproval={}']);
  assert.equal(await run.code, 2);
  assert.equal(run.stderr(), "swirl run: --event aproval: workflow 'approve' has no event definition named 'aproval' (it defines 'approval'); did you mean 'approval'?\n");
});

test('a malformed --id is a usage error (exit 2) that names the flag and the rule; no store is created', async () => {
  const store = join(dir, 'never.db');
  const run = swirl(['run', approve, '--store', `sqlite:${store}`, '--id', 'bad id!']);
  assert.equal(await run.code, 2);
  assert.equal(run.stderr(), "swirl run: --instance-id 'bad id!' is not an instance id: use 1-200 characters from A-Z a-z 0-9 _ - . :\n");
  assert.equal(run.stdout(), '');
  assert.equal(existsSync(store), false);
});
