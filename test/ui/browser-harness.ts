/**
 * What the dashboard's browser tests share: Debian's Chromium (/usr/bin/chromium, installed by
 * .ci/run, or SWIRL_TEST_CHROMIUM) driven by playwright-core — never a downloaded browser —, the
 * build of dist/ui when ui/ changed, the screenshots folder, and calls to the API with the token.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.SWIRL_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(root, 'test-artifacts', 'ui');
/** `{ skip }` of every browser test: false, or why it cannot run here. */
export const skip: false | string = existsSync(CHROMIUM) ? false : `skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, as .ci/run does)`;

/** Builds dist/ui when it is missing or older than a file of ui/. */
export function ensureBuilt(): void {
  const newest = (dir: string): number => readdirSync(dir).reduce((m, n) => {
    const p = join(dir, n);
    const s = statSync(p);
    return Math.max(m, s.isDirectory() ? newest(p) : s.mtimeMs);
  }, 0);
  const built = join(root, 'dist', 'ui', 'app.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'ui'))) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-ui.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `building the dashboard failed:\n${r.stdout}${r.stderr}`);
}

/** Headless Debian Chromium, as specs/dashboard.md §6 and ../shared/services.md start it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** A JSON call to the API of `base` with the token (POST when there is a body); fails on a non-2xx. */
export async function apiCall(base: string, token: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'dapr-api-token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Waits until `check` holds: deadlock detection on a busy machine (30 s), not a speed check. */
export async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
