/**
 * @module test/engine/harness
 * Shared set-up of the engine's end-to-end suites: the store URLs every suite runs on (memory,
 * sqlite on a temp file when the backend is present, postgres in a fresh schema when a server
 * answers), and an engine factory that stops engines after
 * each test. Engines here poll fast so tests stay quick; timers use a ManualClock where they are long.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { freshPgUrl, pgAvailable } from '../store/postgres-fixture.js';

const sqliteAvailable = existsSync(new URL('../../src/store/sqlite.ts', import.meta.url));
// One temp directory per test file, created at import and removed after the file's suites
// (an `after` registered inside a test would run when that test ends).
const dir = mkdtempSync(join(tmpdir(), 'swirl-engine-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Store kinds every e2e suite runs on. */
export const STORE_KINDS: readonly string[] = [
  'memory',
  ...(sqliteAvailable ? ['sqlite'] : []),
  // PostgreSQL when a server answers (SWIRL_TEST_PG_URL or 127.0.0.1:5432): a fresh schema per
  // engine, dropped after the file. SWIRL_TEST_PG=0 leaves it out (a quicker local loop).
  ...(pgAvailable && process.env.SWIRL_TEST_PG !== '0' ? ['postgres'] : []),
];

/** A fresh store URL of the given kind (a new temp file for sqlite). */
export function freshStoreUrl(kind: string): string {
  if (kind === 'memory') return 'memory';
  if (kind === 'postgres') return freshPgUrl('e2e');
  return `sqlite:${join(dir, `e2e-${process.pid}-${++counter}.db`)}`;
}

const live: Engine[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((e) => e.stop()));
});

/** Creates an engine on a fresh store of `kind` with fast polling; stopped after the test. */
export async function makeEngine(kind: string, options: EngineOptions = {}): Promise<Engine> {
  const engine = await createEngine({ store: freshStoreUrl(kind), pollIntervalMs: 20, ...options });
  live.push(engine);
  return engine;
}

/** Registers an engine created elsewhere so it is stopped after the test. */
export function track(engine: Engine): Engine {
  live.push(engine);
  return engine;
}

/** Waits until `check` returns true (polling every 5 ms), or fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Asserts that `p` rejects with a SwirlError of `code`, and returns the error. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code: string };
    if (err.code !== code) throw new Error(`expected error code ${code}, got ${String(err.code)}: ${err.message}`);
    return err;
  }
  throw new Error(`expected rejection with code ${code}, but it resolved`);
}
