/**
 * The dashboard in a real browser: Debian's headless Chromium (/usr/bin/chromium, installed by
 * .ci/run) driven by playwright-core, against `swirl serve` as a child process with the approval
 * and hello samples, a failing workflow and an API token. Checks what a user sees: the login box,
 * the lists and their filters, the current state highlighted while an instance waits for an
 * event, raising that event from the page, the timeline against the API, a failed instance's
 * error, terminate and bulk purge, and a pasted invalid definition's diagnostic at its line.
 * Screenshots of the main pages go to test-artifacts/ui/ (printed). Skipped without chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { startServe, type Server } from '../host/serve-child.js';
import { ARTIFACTS, apiCall, ensureBuilt, launchChromium, root, skip, until } from './browser-harness.js';

const TOKEN = 'dashboard-test-token';

const FAILING = `id: failing
version: '1'
specVersion: '0.8'
functions:
  - name: boom
    type: expression
    operation: 'error("card declined")'
states:
  - name: Prepare
    type: inject
    data: {step: 1}
    transition: Charge
  - name: Charge
    type: operation
    actions:
      - functionRef: boom
    end: true
`;

/** A workflow that runs hello as a subflow: parent and child link to each other. */
const PARENT = `id: parent
version: '1'
specVersion: '0.8'
states:
  - name: CallChild
    type: operation
    actions:
      - subFlowRef: hello
    end: true
`;

/** The invalid definition pasted in the editor: line 7 names a state that does not exist. */
const INVALID = ["id: broken", "specVersion: '0.8'", 'states:', '  - name: A', '    type: inject', '    data: {}', '    transition: Bb', '  - name: B', '    type: inject', '    data: {}', '    end: true'].join('\n');

let dir: string;
let server: Server;
let browser: Browser;
let page: Page;
const started: ChildProcess[] = [];

const call = (path: string, body?: unknown): Promise<any> => apiCall(server.base, TOKEN, path, body);
const start = (workflow: string, id: string, input: unknown) => call(`/v1.0/workflows/dapr/${workflow}/start?instanceID=${id}`, input);

async function statusOf(id: string): Promise<string> {
  return ((await call(`/api/v1/instances/${id}`)) as { runtimeStatus: string }).runtimeStatus;
}
/** Every form control of the page has an accessible name (a <label for>, or aria-label). */
async function assertLabelled(): Promise<void> {
  const unlabelled = (await page.evaluate(
    "[...document.querySelectorAll('input, select, textarea')].filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML.slice(0, 80))",
  )) as string[];
  assert.deepEqual(unlabelled, [], 'controls without a label');
}
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

before(async () => {
  if (skip) return;
  ensureBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'swirl-ui-'));
  mkdirSync(join(dir, 'workflows'));
  copyFileSync(join(root, 'samples', 'approval', 'approval.yaml'), join(dir, 'workflows', 'approval.yaml'));
  copyFileSync(join(root, 'samples', 'hello', 'hello.yaml'), join(dir, 'workflows', 'hello.yaml'));
  writeFileSync(join(dir, 'workflows', 'failing.yaml'), FAILING);
  writeFileSync(join(dir, 'workflows', 'parent.yaml'), PARENT);
  server = await startServe(dir, started, ['--api-token', TOKEN]);
  await start('approval', 'ap-1', { requestid: 'r1', amount: 40 });
  await start('approval', 'ap-2', { requestid: 'r2', amount: 50 });
  await start('hello', 'h-1', { name: 'Ada' });
  await start('failing', 'f-1', {});
  await until('the instances to settle', async () => (await statusOf('h-1')) === 'COMPLETED' && (await statusOf('f-1')) === 'FAILED' && ((await call('/api/v1/instances/ap-1')).currentStates ?? []).length > 0);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  console.log(`# dashboard screenshots: ${ARTIFACTS}`);
});

after(async () => {
  await browser?.close();
  for (const p of started) p.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the page asks for the API token, keeps it out of the URL, and lists the workflows with counts', { skip }, async () => {
  await page.goto(`${server.base}/ui/`);
  await page.getByLabel('API token', { exact: true }).fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const rows = page.locator('#workflows tbody tr');
  await page.locator('#workflows tr[data-workflow="failing"]').waitFor();
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-workflow'))), ['approval', 'failing', 'hello', 'parent']);
  await page.locator('#workflows tr[data-workflow="approval"] td[data-status="RUNNING"] a').waitFor();
  assert.equal(await page.locator('#workflows tr[data-workflow="approval"] td[data-status="RUNNING"]').innerText(), '2');
  assert.equal(await page.locator('#workflows tr[data-workflow="failing"] td[data-status="FAILED"]').innerText(), '1');
  assert.ok(!page.url().includes(TOKEN), 'the token is not in the URL');
  assert.equal(await page.evaluate('sessionStorage.getItem("swirl.apiToken")'), TOKEN);
  await shot('workflows');
});

test('the workflow page shows the ELK diagram of the definition', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/workflows/approval`);
  const svg = page.locator('.diagram svg');
  await svg.waitFor();
  for (const s of ['Submit', 'AwaitDecision', 'Decide', 'Approve', 'Reject', 'Escalate']) assert.equal(await page.locator(`.diagram g[data-state="${s}"]`).count(), 1, s);
  assert.match(await svg.innerHTML(), />default<\/text>/);
  await shot('workflow');
});

test('the instance list shows every instance and its filters narrow it', { skip }, async () => {
  const ids = () => page.locator('#instances tbody tr[data-instance]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')).sort());
  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator('#instances tr[data-instance="f-1"]').waitFor();
  assert.deepEqual(await ids(), ['ap-1', 'ap-2', 'f-1', 'h-1']);
  await page.getByLabel('Status').selectOption('COMPLETED');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('the status filter', async () => JSON.stringify(await ids()) === '["h-1"]');
  assert.match(page.url(), /status=COMPLETED/);
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Workflow').selectOption('approval');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('the workflow filter', async () => JSON.stringify(await ids()) === '["ap-1","ap-2"]');
  await page.getByLabel('Id starts with').fill('ap-2');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('the id prefix filter', async () => JSON.stringify(await ids()) === '["ap-2"]');
  // A created-from in the future leaves nothing.
  await page.goto(`${server.base}/ui/#/instances?from=2999-01-01T00:00`);
  await page.locator('#instances td.empty').waitFor();
  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator('#instances tr[data-instance="f-1"]').waitFor();
  await assertLabelled();
  await shot('instances');
});

test('the list updates live (no reload), pages with next/previous, and sorts and filters by id prefix across pages', { skip }, async () => {
  const rowIds = () => page.locator('#instances tbody tr[data-instance]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator('#instances tr[data-instance="f-1"]').waitFor();
  await page.evaluate('window.__noReload = true');
  await start('hello', 'live-1', { name: 'One' });
  await start('hello', 'live-2', { name: 'Two' });
  await page.locator('#instances tr[data-instance="live-2"]').waitFor();
  assert.equal(await page.evaluate('window.__noReload'), true, 'the new rows came without a page reload');
  // 6 instances, 5 a page: 5 on the first, 1 on the second (newest first).
  await page.getByLabel('Per page').selectOption('5');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('a page of 5', async () => (await page.locator('#instances tbody tr[data-instance]').count()) === 5);
  const first = await page.locator('#instances tbody tr[data-instance]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
  await page.getByRole('button', { name: 'Next →' }).click();
  await until('the second page', async () => (await page.locator('#instances tbody tr[data-instance]').count()) === 1);
  const second = await page.locator('#instances tbody tr[data-instance]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
  // The sort is the API's (order=desc), across pages: newest first overall, not within a page.
  assert.deepEqual(first, ['live-2', 'live-1', 'f-1', 'h-1', 'ap-2']);
  assert.deepEqual(second, ['ap-1']);
  assert.equal(await page.getByRole('button', { name: 'Next →' }).isDisabled(), true);
  await page.getByRole('button', { name: '← Previous' }).click();
  await until('the first page again', async () => (await page.locator('#instances tbody tr[data-instance]').count()) === 5);
  // The id prefix is the API's (idPrefix): ap-1, on no first page of 5, is found on page 1.
  await page.getByLabel('Id starts with').fill('ap-1');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('the prefix matching only a second-page instance', async () => JSON.stringify(await rowIds()) === '["ap-1"]');
  assert.match(page.url(), /prefix=ap-1/);
  assert.match(await page.locator('#list-status').innerText(), /^Page 1: 1 instance\(s\) with id prefix 'ap-1'/);
  assert.equal(await page.getByRole('button', { name: 'Next →' }).isDisabled(), true);
  // Oldest first, 5 a page: the first page starts at the oldest instance.
  await page.goto(`${server.base}/ui/#/instances?sort=oldest&size=5`);
  await until('oldest first', async () => JSON.stringify(await rowIds()) === '["ap-1","ap-2","h-1","f-1","live-1"]');
  // A prefix with a character no id has is refused by the form (the hash does not change).
  await page.getByLabel('Id starts with').fill('ap 1');
  await page.getByRole('button', { name: 'Apply' }).click();
  assert.equal(await page.locator('#f-prefix').evaluate((el) => (el as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch), true);
  assert.doesNotMatch(page.url(), /prefix=/);
  // The counts are the server's (GET /api/v1/workflows/{id}/counts): h-1, live-1 and live-2 completed.
  for (const id of ['live-1', 'live-2']) await until(`${id} to complete`, async () => (await statusOf(id)) === 'COMPLETED');
  await page.goto(`${server.base}/ui/#/workflows`);
  await until('the hello counts', async () => (await page.locator('#workflows tr[data-workflow="hello"] td[data-status="COMPLETED"]').innerText()) === '3');
  assert.equal(await page.locator('#workflows tr[data-workflow="hello"] td[data-status="FAILED"]').innerText(), '0');
  for (const id of ['live-1', 'live-2']) {
    await until(`${id} to complete`, async () => (await statusOf(id)) === 'COMPLETED');
    await call(`/v1.0/workflows/dapr/${id}/purge`, {});
  }
});

test('a waiting instance has its state highlighted; its timeline matches the API; raising the event from the page completes it', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/instances/ap-1`);
  const current = page.locator('.diagram g[data-state="AwaitDecision"]');
  await current.waitFor();
  assert.match((await current.getAttribute('class'))!, /swd-current/);
  assert.match((await page.locator('.diagram g[data-state="Submit"]').getAttribute('class'))!, /swd-visited/);
  assert.doesNotMatch((await page.locator('.diagram g[data-state="Approve"]').getAttribute('class'))!, /swd-(current|visited)/);
  assert.match(await page.locator('#current-states').innerText(), /AwaitDecision — event Decision where requestid = r1,/);
  const api = (await call('/api/v1/instances/ap-1/timeline')) as { items: { seq: number; kind: string }[] };
  const shown = await page.locator('#timeline tbody tr').evaluateAll((trs) => trs.map((tr) => [Number(tr.getAttribute('data-seq')), tr.getAttribute('data-kind')]));
  assert.deepEqual(shown, api.items.map((i) => [i.seq, i.kind]));
  await assertLabelled();
  await shot('instance-waiting');

  await page.getByLabel('Event name').fill('Decision');
  await page.getByLabel('Data (JSON)').fill('{"decision": {"approved": tru');
  assert.match(await page.locator('#event-data-check').innerText(), /^not JSON/);
  await page.getByLabel('Data (JSON)').fill('{"decision": {"approved": true}}');
  assert.equal(await page.locator('#event-data-check').innerText(), 'valid JSON');
  await page.getByRole('button', { name: 'Raise event' }).click();
  await until('ap-1 to complete', async () => (await statusOf('ap-1')) === 'COMPLETED');
  await page.locator('.badge.status-completed').first().waitFor();
  assert.match(await page.locator('#output').innerText(), /"status": "approved"/);
  await until('the path to be drawn', async () => /swd-visited/.test((await page.locator('.diagram g[data-state="Approve"]').getAttribute('class')) ?? ''));
  const after = (await call('/api/v1/instances/ap-1/timeline')) as { items: { seq: number; kind: string }[] };
  assert.ok(after.items.some((i) => i.kind === 'eventReceived'));
  assert.equal(await page.locator('#timeline tbody tr').count(), after.items.length);
  await shot('instance-completed');
});

test('a failed instance shows its error and its failed state', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/instances/f-1`);
  const failure = page.locator('#failure');
  await failure.waitFor();
  assert.match(await failure.innerText(), /EXPRESSION_ERROR: state 'Charge': action 'boom'.*card declined/);
  assert.match((await page.locator('.diagram g[data-state="Charge"]').getAttribute('class'))!, /swd-failed/);
  await shot('instance-failed');
  // Phone width: the page fits, nothing scrolls sideways but the diagram and tables in their boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await failure.waitFor();
  assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scroll at phone width');
  await shot('instance-failed-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await failure.waitFor();
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(13, 17, 23)');
  await shot('instance-failed-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('suspend, resume and terminate from the instance page (after a confirmation), bulk purge from the list, rerun from a state, bulk terminate', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/instances/ap-2`);
  await page.getByRole('button', { name: 'Suspend' }).click();
  await until('ap-2 to be suspended', async () => (await statusOf('ap-2')) === 'SUSPENDED');
  await page.locator('.badge.status-suspended').first().waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await until('ap-2 to run again', async () => (await statusOf('ap-2')) === 'RUNNING');
  await page.locator('.badge.status-running').first().waitFor();
  await page.getByRole('button', { name: 'Terminate' }).click();
  const dialog = page.getByRole('dialog');
  assert.match(await dialog.innerText(), /Terminate ap-2\?/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await statusOf('ap-2'), 'RUNNING', 'cancel does nothing');
  await page.getByRole('button', { name: 'Terminate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Terminate' }).click();
  await until('ap-2 to be terminated', async () => (await statusOf('ap-2')) === 'TERMINATED');
  await page.locator('.badge.status-terminated').first().waitFor();

  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator('#instances tr[data-instance="h-1"]').waitFor();
  await page.getByLabel('select h-1').check();
  await page.getByLabel('select f-1').check();
  await page.locator('#bulk-purge').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Purge 2' }).click();
  await until('h-1 and f-1 to be gone from the list', async () => (await page.locator('#instances tr[data-instance="h-1"], #instances tr[data-instance="f-1"]').count()) === 0);
  const list = (await call('/api/v1/instances')) as { instances: { instanceID: string }[] };
  assert.deepEqual(list.instances.map((i) => i.instanceID).sort(), ['ap-1', 'ap-2']);

  // Rerun the terminated ap-2 from the state it waited in: the new instance's page opens, waiting there.
  await page.goto(`${server.base}/ui/#/instances/ap-2`);
  await page.getByLabel('Rerun from state').selectOption('AwaitDecision');
  await page.getByRole('button', { name: 'Rerun' }).click();
  await until('the rerun instance page', async () => !page.url().endsWith('/ap-2') && page.url().includes('#/instances/'));
  const rerunId = decodeURIComponent(page.url().split('#/instances/')[1]!);
  await page.locator('.diagram g[data-state="AwaitDecision"].swd-current').waitFor();
  const detail = (await call(`/api/v1/instances/${encodeURIComponent(rerunId)}`)) as { currentStates: { state: string }[] };
  assert.deepEqual(detail.currentStates.map((c) => c.state), ['AwaitDecision']);

  // Bulk terminate from the list, after its confirmation: the waiting rerun instance stops.
  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator(`#instances tr[data-instance="${rerunId}"]`).waitFor();
  await page.getByLabel(`select ${rerunId}`).check();
  await page.locator('#bulk-terminate').click();
  const confirm = page.getByRole('dialog');
  assert.match(await confirm.innerText(), /Terminate 1 running instance/);
  await confirm.getByRole('button', { name: 'Terminate 1' }).click();
  await until('the rerun instance to be terminated', async () => (await statusOf(rerunId)) === 'TERMINATED');
});

test('a pasted invalid definition shows its diagnostic at the right line', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/workflows`);
  await page.getByLabel('Definition (YAML or JSON)').fill(INVALID);
  await page.getByRole('button', { name: 'Validate' }).click();
  const line7 = page.locator('ol.listing li[data-line="7"]');
  await line7.waitFor();
  assert.match(await line7.innerText(), /transition: Bb[\s\S]*\^ error UNKNOWN_STATE: state 'A': transition names unknown state 'Bb'/);
  assert.match(await page.locator('ul.diagnostics').innerText(), /7:17 error UNKNOWN_STATE/);
  await assertLabelled();
  await shot('definition-invalid');
  // Fixed, it registers, and the list shows it (keyboard only: focus the button, press Enter).
  await page.getByLabel('Definition (YAML or JSON)').fill(INVALID.replace('transition: Bb', 'transition: B'));
  await page.getByRole('button', { name: 'Register' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#workflows tr[data-workflow="broken"]').waitFor();
  assert.match(await page.locator('#definition-result').innerText(), /Registered broken/);
  assert.ok(((await call('/api/v1/workflows')) as { workflows: { id: string }[] }).workflows.some((w) => w.id === 'broken'));
});

test('a parent instance links to its subflow child, and the child back to its parent', { skip }, async () => {
  await start('parent', 'p-1', { name: 'Kid' });
  await until('p-1 to complete', async () => (await statusOf('p-1')) === 'COMPLETED');
  await page.goto(`${server.base}/ui/#/instances/p-1`);
  const child = page.locator('#children a').first();
  await child.waitFor();
  const childId = await child.innerText();
  assert.equal(((await call(`/api/v1/instances/${encodeURIComponent(childId)}`)) as { parentInstanceID: string }).parentInstanceID, 'p-1');
  await child.click();
  await page.locator('dd a', { hasText: 'p-1' }).waitFor();
  assert.match(await page.locator('#output').innerText(), /"message": "Hello, Kid!"/);
});

test('an instance started from the workflow page opens its page; bad input JSON is refused before sending', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/workflows/hello`);
  await page.getByLabel('Input (JSON)').fill('{"name": ');
  await page.getByRole('button', { name: 'Start' }).click();
  assert.match(await page.locator('#start-result').innerText(), /^The input is not JSON/);
  await page.getByLabel('Input (JSON)').fill('{"name": "Grace"}');
  await page.getByLabel('Instance id (optional)').fill('from-ui');
  await page.getByRole('button', { name: 'Start' }).click();
  await until('the instance page', async () => page.url().endsWith('#/instances/from-ui'));
  await until('from-ui to complete', async () => (await statusOf('from-ui')) === 'COMPLETED');
  await page.locator('#output', { hasText: 'Hello, Grace!' }).waitFor();
});
