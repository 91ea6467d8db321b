/**
 * The dashboard in Debian's Chromium, the parts of issue 14 test/ui/dashboard.test.ts does not
 * reach: each definition's version and source, a registered definition's warnings, pasted-text
 * diagnostics equal to `swirl validate`'s, the created from/to range, the state-level timeline
 * cell by cell against the API (attempts, durations, data, compensation), the path's edges, a
 * timer wait, purging one instance from its page, contrast in both colour schemes, every page
 * at phone width, no request leaving the server's origin and no token stored but in
 * sessionStorage. Against `swirl serve` with an API token; skipped without chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServe, type Server } from '../host/serve-child.js';
import { ARTIFACTS, apiCall, ensureBuilt, launchChromium, root, skip, until } from './browser-harness.js';
import { lowContrast } from './contrast.js';

const TOKEN = 'dashboard-details-token';

/** Compensation after a retried, failing charge; Orphan is unreachable (a warning). */
const ORDERS = `id: orders
version: '2.1'
specVersion: '0.8'
functions:
  - {name: reserve, type: expression, operation: '{reserved: true}'}
  - {name: release, type: expression, operation: '{released: true}'}
  - {name: charge, type: expression, operation: 'error("card declined")'}
errors:
  - {name: Declined, code: EXPRESSION_ERROR}
retries:
  - {name: twice, maxAttempts: 2, delay: PT0.1S}
states:
  - name: Reserve
    type: operation
    actions: [{name: reserveStock, functionRef: reserve}]
    compensatedBy: Release
    transition: Charge
  - name: Charge
    type: operation
    actions: [{name: chargeCard, functionRef: charge, retryRef: twice, retryableErrors: [Declined]}]
    onErrors: [{errorRef: Declined, end: {compensate: true}}]
    end: true
  - name: Release
    type: operation
    usedForCompensation: true
    actions: [{name: releaseStock, functionRef: release}]
  - name: Orphan
    type: inject
    data: {}
    end: true
`;

/** Sleeps an hour: its instance waits on a timer. */
const NAP = `id: nap
version: '1'
specVersion: '0.8'
states:
  - name: Nap
    type: sleep
    duration: PT1H
    end: true
`;

/** Pasted in the editor: an error at 7:17 and a warning at 8:11 (as swirl validate reports them). */
const INVALID = ["id: broken", "specVersion: '0.8'", 'states:', '  - name: A', '    type: inject', '    data: {}', '    transition: Bb', '  - name: B', '    type: inject', '    data: {}', '    end: true'].join('\n');

interface Item {
  seq: number;
  kind: string;
  attempt?: number;
  durationMs?: number;
  [k: string]: unknown;
}

let dir: string;
let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const started: ChildProcess[] = [];
/** Every URL the page requested, over the whole file. */
const requested: string[] = [];

const call = (path: string, body?: unknown): Promise<any> => apiCall(server.base, TOKEN, path, body);
const start = (workflow: string, id: string, input: unknown) => call(`/v1.0/workflows/dapr/${workflow}/start?instanceID=${id}`, input);
const statusOf = async (id: string): Promise<string> => ((await call(`/api/v1/instances/${id}`)) as { runtimeStatus: string }).runtimeStatus;
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
/** A datetime-local value (UTC: the browser context's time zone) of the second `ms` falls in. */
const localSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);

before(async () => {
  if (skip) return;
  ensureBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'swirl-ui-details-'));
  mkdirSync(join(dir, 'workflows'));
  copyFileSync(join(root, 'samples', 'hello', 'hello.yaml'), join(dir, 'workflows', 'hello.yaml'));
  copyFileSync(join(root, 'samples', 'approval', 'approval.yaml'), join(dir, 'workflows', 'approval.yaml'));
  writeFileSync(join(dir, 'workflows', 'orders.yaml'), ORDERS);
  writeFileSync(join(dir, 'workflows', 'nap.yaml'), NAP);
  server = await startServe(dir, started, ['--api-token', TOKEN]);
  await start('orders', 'o-1', { order: 7 });
  await start('nap', 'n-1', {});
  await start('approval', 'a-1', { requestid: 'r9', amount: 12 });
  await until('a-1 to wait for its decision', async () => ((await call('/api/v1/instances/a-1')).currentStates ?? []).length > 0);
  await call('/v1.0/workflows/dapr/a-1/raiseEvent/Decision', { decision: { approved: false } });
  await until('the instances to settle', async () => (await statusOf('o-1')) === 'COMPLETED' && (await statusOf('a-1')) === 'COMPLETED' && ((await call('/api/v1/instances/n-1')).currentStates ?? []).length > 0);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('request', (r) => requested.push(r.url()));
  // Sign in once; the token lives in this tab's sessionStorage from then on.
  await page.goto(`${server.base}/ui/`);
  await page.getByLabel('API token', { exact: true }).fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#workflows tr[data-workflow="orders"]').waitFor();
});

after(async () => {
  await browser?.close();
  for (const p of started) p.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the workflow list shows each definition\'s id, version and source as the API has them', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/workflows`);
  const api = (await call('/api/v1/workflows')) as { workflows: { id: string; version?: string; source: string }[] };
  assert.deepEqual(api.workflows.map((w) => w.id).sort(), ['approval', 'hello', 'nap', 'orders']);
  for (const w of api.workflows) {
    const cells = page.locator(`#workflows tr[data-workflow="${w.id}"] > *`);
    await cells.first().waitFor();
    assert.equal(await cells.nth(0).innerText(), w.id);
    assert.equal(await cells.nth(1).innerText(), w.version ?? '—');
    assert.equal(await cells.nth(2).innerText(), w.source);
  }
  assert.equal(await page.locator('#workflows tr[data-workflow="orders"] td:nth-child(2)').innerText(), '2.1');
  assert.match(await page.locator('#workflows tr[data-workflow="orders"] td.source').innerText(), /orders\.yaml$/);
});

test('a registered definition\'s page lists its validation warnings and draws its compensation and error edges', { skip }, async () => {
  await page.goto(`${server.base}/ui/#/workflows/orders`);
  const diags = page.locator('ul.diagnostics li');
  await diags.first().waitFor();
  assert.deepEqual(await diags.allInnerTexts(), ["warning UNREACHABLE_STATE at /states/3/name: state 'Orphan' is never reached from the start state 'Reserve'"]);
  await page.locator('.diagram svg').waitFor();
  assert.equal(await page.locator('.diagram path[data-from="Reserve"][data-to="Release"]').count(), 1, 'the compensatedBy edge');
  assert.ok((await page.locator('.diagram .swd-edge-error[data-from="Charge"]').count()) >= 1, 'the onErrors edge');
  await shot('workflow-warnings');
});

test('pasted diagnostics are those of swirl validate: the same line:column, severity, code, message and hint', { skip }, async () => {
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, INVALID);
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'test/cli/run-cli.ts', 'validate', file, '--format', 'json'], { cwd: root, encoding: 'utf8' });
  const report = JSON.parse(cli.stdout) as { files: { diagnostics: { line: number; column: number; severity: string; code: string; message: string; hint?: string }[] }[] };
  const expected = report.files[0]!.diagnostics;
  assert.deepEqual(expected.map((d) => `${d.line}:${d.column} ${d.code}`), ['7:17 UNKNOWN_STATE', '8:11 UNREACHABLE_STATE']);
  await page.goto(`${server.base}/ui/#/workflows`);
  await page.getByLabel('Definition (YAML or JSON)').fill(INVALID);
  await page.getByRole('button', { name: 'Validate' }).click();
  const shown = page.locator('ul.diagnostics li');
  await shown.first().waitFor();
  const texts = await shown.allInnerTexts();
  assert.equal(texts.length, expected.length);
  expected.forEach((d, i) => {
    assert.ok(texts[i]!.startsWith(`${d.line}:${d.column} ${d.severity} ${d.code} `), texts[i]);
    assert.ok(texts[i]!.includes(d.message), `${texts[i]} has '${d.message}'`);
    if (d.hint) assert.ok(texts[i]!.endsWith(d.hint), `${texts[i]} has the hint '${d.hint}'`);
    return undefined;
  });
  // Each finding is also shown under its own line of the text.
  for (const d of expected) assert.match(await page.locator(`ol.listing li[data-line="${d.line}"] .diag`).innerText(), new RegExp(`\\^ ${d.severity} ${d.code}: `));
});

test('the created from/to range selects the instances created in it (to is exclusive)', { skip }, async () => {
  const first = Date.parse(((await call('/api/v1/instances/o-1')) as { createdAt: string }).createdAt);
  // The next instance is created two whole seconds later (a second boundary between them in any case).
  await until('the clock to pass two seconds after o-1', async () => Math.floor(Date.now() / 1000) >= Math.floor(first / 1000) + 2);
  await start('hello', 'late-1', { name: 'Late' });
  const late = Date.parse(((await call('/api/v1/instances/late-1')) as { createdAt: string }).createdAt);
  const ids = () => page.locator('#instances tbody tr[data-instance]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')).sort());
  await page.goto(`${server.base}/ui/#/instances`);
  await page.locator('#instances tr[data-instance="late-1"]').waitFor();
  await page.getByLabel('Created from').fill(localSecond(late));
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('from the late second on', async () => JSON.stringify(await ids()) === '["late-1"]');
  await page.getByLabel('Created from').fill('');
  await page.getByLabel('Created to').fill(localSecond(late));
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('before the late second', async () => JSON.stringify(await ids()) === '["a-1","n-1","o-1"]');
  assert.match(page.url(), /to=/);
  await page.getByLabel('Created from').fill(localSecond(first));
  await page.getByLabel('Created to').fill(localSecond(first + 1000));
  await page.getByLabel('Workflow').selectOption('orders');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until('o-1 alone in its second', async () => JSON.stringify(await ids()) === '["o-1"]');
});

/** The page's timeline of `id`, row by row and cell by cell, against the API's items. */
async function assertTimelineMatches(id: string): Promise<void> {
  const api = ((await call(`/api/v1/instances/${id}/timeline?limit=1000`)) as { items: Item[] }).items;
  await page.goto(`${server.base}/ui/#/instances/${id}`);
  // The page of this instance (a hash change keeps the previous page until the new one is drawn).
  await page.getByRole('heading', { name: `Instance ${id}`, exact: true }).waitFor();
  const rows = page.locator('#timeline tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), api.length);
  for (const [n, item] of api.entries()) {
    const cells = rows.nth(n).locator('td');
    assert.equal(await cells.nth(0).innerText(), String(item.seq));
    assert.equal(await cells.nth(2).innerText(), item.kind);
    const what = await cells.nth(3).innerText();
    for (const k of ['state', 'action', 'from', 'event', 'by']) if (typeof item[k] === 'string') assert.ok(what.includes(item[k]), `#${item.seq} ${item.kind}: '${what}' names ${k} ${String(item[k])}`);
    if (item.attempt !== undefined) assert.ok(what.includes(`attempt ${item.attempt}`), `#${item.seq} ${item.kind}: '${what}' gives the attempt`);
    assert.equal(await cells.nth(4).innerText(), item.durationMs !== undefined ? `${item.durationMs} ms` : '', `#${item.seq} ${item.kind}: duration`);
    const key = ['output', 'result', 'data', 'input', 'error'].find((k) => item[k] !== undefined);
    if (key) assert.deepEqual(JSON.parse(await cells.nth(5).locator('pre').textContent() ?? ''), { [key]: item[key] }, `#${item.seq} ${item.kind}: data`);
    else assert.equal(await cells.nth(5).innerText(), '');
  }
}

test('the timeline shows every item as the API has it: attempts, durations, data, transitions, compensation; the path\'s edges are marked', { skip }, async () => {
  await assertTimelineMatches('o-1');
  const rows = page.locator('#timeline tbody tr');
  // What this run went through, in the page's words.
  const what = (await rows.evaluateAll((trs) => trs.map((tr) => tr.children[3]!.textContent))).join('\n');
  assert.match(what, /action chargeCard in Charge failed \(attempt 1\)/);
  assert.match(what, /action chargeCard in Charge \(attempt 1\) retried in 100 ms/);
  assert.match(what, /action chargeCard in Charge failed \(attempt 2\)/);
  assert.match(what, /error EXPRESSION_ERROR handled in Charge/);
  assert.match(what, /Reserve compensated by Release/);
  assert.match(what, /entered Release \(operation\) to compensate/);
  assert.match(what, /Reserve → Charge via transition/);
  assert.match(await page.locator('#input').innerText(), /"order": 7/);
  assert.match(await page.locator('#output').innerText(), /"released": true/);
  // The path: states entered and the transition taken are green; the unreachable state is not.
  assert.match((await page.locator('.diagram path[data-from="Reserve"][data-to="Charge"]').getAttribute('class'))!, /swd-visited/);
  for (const s of ['Reserve', 'Charge', 'Release']) assert.match((await page.locator(`.diagram g[data-state="${s}"]`).getAttribute('class'))!, /swd-visited/, s);
  assert.doesNotMatch((await page.locator('.diagram g[data-state="Orphan"]').getAttribute('class'))!, /swd-visited/);
  // Charge ended by its onErrors entry (compensate), not by its own end: only that end edge is green.
  assert.match((await page.locator('.diagram path.swd-edge-error[data-from="Charge"]').getAttribute('class'))!, /swd-visited/);
  assert.doesNotMatch((await page.locator('.diagram path.swd-edge-transition[data-from="Charge"]:not([data-to])').getAttribute('class'))!, /swd-visited/);
  await shot('instance-compensated');
});

test('an event-driven instance\'s timeline shows the wait and the received event with its data, as the API has them', { skip }, async () => {
  await assertTimelineMatches('a-1');
  const what = (await page.locator('#timeline tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[3]!.textContent))).join('\n');
  assert.match(what, /waiting in AwaitDecision for Decision where requestid = r9/);
  assert.match(what, /received event Decision in AwaitDecision/);
  assert.match(what, /AwaitDecision → Decide via condition \(on Decision\)/);
  assert.match(what, /Decide → Reject via default/);
  assert.deepEqual(JSON.parse((await page.locator('#timeline tr[data-kind="eventReceived"] td pre').textContent()) ?? ''), { data: { decision: { approved: false } } });
});

test('a sleeping instance shows its timer wait with its time; purge from its page removes it after a confirmation', { skip }, async () => {
  const detail = (await call('/api/v1/instances/n-1')) as { currentStates: { state: string; waitingFor?: { kind: string; until: string } }[] };
  assert.equal(detail.currentStates[0]!.waitingFor!.kind, 'timer');
  const until_ = detail.currentStates[0]!.waitingFor!.until;
  await page.goto(`${server.base}/ui/#/instances/n-1`);
  const wait = page.locator('#current-states li[data-state="Nap"]');
  await wait.waitFor();
  const shownUntil = (await page.evaluate(`new Date(${JSON.stringify(until_)}).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })`)) as string;
  assert.equal(await wait.innerText(), `Nap — timer until ${shownUntil}`);
  assert.match(await page.locator('#timeline tr[data-kind="timerStarted"] td:nth-child(4)').innerText(), new RegExp(`^timer in Nap until ${shownUntil.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
  assert.equal(await page.getByRole('button', { name: 'Purge' }).isDisabled(), true, 'purge waits for the instance to finish');
  await page.getByRole('button', { name: 'Terminate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Terminate' }).click();
  await until('n-1 to be terminated', async () => (await statusOf('n-1')) === 'TERMINATED');
  await page.locator('.badge.status-terminated').first().waitFor();
  await page.getByRole('button', { name: 'Purge' }).click();
  const dialog = page.getByRole('dialog');
  assert.match(await dialog.innerText(), /Purge n-1\?/);
  await dialog.getByRole('button', { name: 'Purge' }).click();
  await until('the instance list after the purge', async () => /#\/instances$/.test(page.url()));
  const gone = await fetch(`${server.base}/api/v1/instances/n-1`, { headers: { 'dapr-api-token': TOKEN } });
  assert.equal(gone.status, 404);
});

test('by keyboard alone: the skip link keeps the page, a control is reached by Tab, Esc cancels its confirmation; the page follows the instance live', { skip }, async () => {
  await start('nap', 'n-2', {});
  await until('n-2 to sleep', async () => ((await call('/api/v1/instances/n-2')).currentStates ?? []).length > 0);
  await page.goto(`${server.base}/ui/#/instances/n-2`);
  await page.locator('#current-states li[data-state="Nap"]').waitFor();
  await page.evaluate('window.__noReload = true');
  // From the header (a click on its corner sets where Tab starts): the first link, and before it the skip link.
  await page.mouse.click(1, 1);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Workflows');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate('document.activeElement.id'), 'main', 'focus moved to the content');
  assert.match(page.url(), /#\/instances\/n-2$/, 'the skip link does not leave the page');
  let presses = 0;
  while ((await page.evaluate('document.activeElement.textContent')) !== 'Terminate') {
    assert.ok(++presses < 80, 'Tab reaches the Terminate button');
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(await page.evaluate("document.activeElement.closest('dialog') !== null"), true, 'focus moved into the confirmation');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await statusOf('n-2'), 'RUNNING', 'Esc cancelled');
  // Terminated elsewhere (the API): the open page shows it by itself, without a reload.
  await call('/v1.0/workflows/dapr/n-2/terminate', {});
  await page.locator('.badge.status-terminated').first().waitFor();
  assert.equal(await page.evaluate('window.__noReload'), true, 'no reload');
  assert.match(await page.locator('#current-states').innerText(), /None: the instance has finished/);
});

test('text contrast is at least 4.5:1 (3:1 large) on every page, light and dark', { skip }, async () => {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [route, ready] of [['#/workflows', '#workflows tr[data-workflow="orders"] td[data-status="COMPLETED"] a'], ['#/workflows/orders', '.diagram svg'], ['#/instances', '#instances tr[data-instance="o-1"]'], ['#/instances/o-1', '#timeline tbody tr']] as const) {
      await page.goto(`${server.base}/ui/${route}`);
      await page.locator(ready).first().waitFor();
      assert.deepEqual(await lowContrast(page), [], `${scheme} ${route}`);
    }
    // The diagram follows the scheme too: its text is dark on light, light on dark.
    await page.goto(`${server.base}/ui/#/workflows/orders`);
    await page.getByRole('heading', { name: 'orders', exact: true }).waitFor();
    await page.locator('.diagram svg text').first().waitFor();
    assert.equal(await page.evaluate("getComputedStyle(document.querySelector('.diagram svg text')).fill"), scheme === 'light' ? 'rgb(27, 31, 36)' : 'rgb(230, 237, 243)');
  }
  // The measure itself: grey on grey is found.
  await page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p id=probe style=\\'color:#777;background:#888\\'>faint</p>')");
  assert.deepEqual((await lowContrast(page)).map((l) => l.text), ['faint']);
  await page.emulateMedia({ colorScheme: 'light' });
});

test('every page fits 1280×800 and a phone width without sideways scrolling', { skip }, async () => {
  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    await page.setViewportSize({ width, height });
    for (const [route, ready] of [['#/workflows', '#workflows tr[data-workflow="orders"]'], ['#/workflows/orders', '.diagram svg'], ['#/instances', '#instances tr[data-instance="o-1"]'], ['#/instances/o-1', '#timeline tbody tr']] as const) {
      await page.goto(`${server.base}/ui/${route}`);
      await page.locator(ready).first().waitFor();
      assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), `no sideways scroll on ${route} at ${width}×${height}`);
    }
  }
  await shot('instances-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('a tab opened on a link without the token asks for it; a refused token is said so; Forget token removes it and asks again', { skip }, async () => {
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await other.newPage();
  tab.setDefaultTimeout(30_000);
  try {
    await tab.goto(`${server.base}/ui/#/instances`);
    await tab.getByLabel('API token', { exact: true }).fill('not-the-token');
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByText('The server refused the token').waitFor();
    await tab.getByLabel('API token', { exact: true }).fill(TOKEN);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.locator('#instances tr[data-instance="o-1"]').waitFor();
    await tab.getByRole('button', { name: 'Forget token' }).click();
    await tab.getByLabel('API token', { exact: true }).waitFor();
    assert.equal(await tab.evaluate('sessionStorage.getItem("swirl.apiToken")'), null);
    assert.equal(await tab.locator('#instances').count(), 0, 'nothing of the API is shown without the token');
  } finally {
    await other.close();
  }
});

test('the page loads nothing from outside the server (no CDN) and keeps the token only in sessionStorage', { skip }, async () => {
  const origin = new URL(server.base).origin;
  assert.ok(requested.length > 10, 'the tests above made the page request its files and the API');
  assert.deepEqual(requested.filter((u) => new URL(u).origin !== origin && !u.startsWith('data:')), [], 'requests to other origins');
  assert.ok(requested.every((u) => !u.includes(TOKEN)), 'no URL holds the token');
  assert.equal(await page.evaluate('sessionStorage.getItem("swirl.apiToken")'), TOKEN);
  assert.equal(await page.evaluate('localStorage.length'), 0, 'nothing in localStorage');
  assert.deepEqual(await context.cookies(), [], 'no cookie');
  assert.ok(!(await page.content()).includes(TOKEN), 'the token is not written into the page');
  // The static page itself carries no secret: it is the same with and without the token.
  const html = await (await fetch(`${server.base}/ui/`)).text();
  assert.ok(!html.includes(TOKEN));
});
