/**
 * @module test/conformance/conformance.test
 * The Serverless Workflow 0.8 conformance suite: every case under cases/ runs concurrently on one
 * engine (memory store unless SWIRL_CONFORMANCE_STORE says otherwise) with one loopback stub server. Known interpreter gaps run as "todo".
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCases } from './case-format.js';
import { openSuite, runCase, type SuiteContext } from './harness.js';
import { KNOWN_FAILURES } from './known-failures.js';
import { StubServer } from './stub-services.js';

/**
 * Cases in flight at once. All of them at once overloads 2 CI cores enough to push timing-based
 * cases (0.2–1.5 s deadlines) past their deadlines; 24 keeps the suite fast and the timings honest.
 */
const CONCURRENCY = Number(process.env.SWIRL_CONFORMANCE_CONCURRENCY ?? 24);
/** The store the engine runs on; `sqlite:<path>` runs the same cases durably. */
const STORE = process.env.SWIRL_CONFORMANCE_STORE ?? 'memory';
/**
 * Live orchestrations the engine caches. `SWIRL_CONFORMANCE_CACHE=0` replays every instance from its
 * history on every turn, which checks that the interpreter is deterministic under replay.
 */
const CACHE = process.env.SWIRL_CONFORMANCE_CACHE !== undefined ? Number(process.env.SWIRL_CONFORMANCE_CACHE) : undefined;
const casesDir = fileURLToPath(new URL('./cases', import.meta.url));
// SWIRL_CONFORMANCE_FILTER=<substring> runs only the matching cases (e.g. `examples/` or `retry`).
const filter = process.env.SWIRL_CONFORMANCE_FILTER;
const allCases = loadCases(casesDir);
const cases = filter ? allCases.filter((c) => c.name.includes(filter)) : allCases;

// One engine runs every case, so workflow ids must be unique across the suite.
const owners = new Map<string, string>();
for (const c of allCases) {
  for (const w of [c.workflow, ...c.workflows]) {
    const key = `${String(w.id)}@${String(w.version ?? '')}`;
    const other = owners.get(key);
    if (other !== undefined && other !== c.name) throw new Error(`workflow id '${String(w.id)}' is used by both ${other} and ${c.name}`);
    owners.set(key, c.name);
  }
}
for (const name of Object.keys(KNOWN_FAILURES)) {
  if (!allCases.some((c) => c.name === name)) throw new Error(`known-failures.ts names '${name}', which is not a case`);
}

describe('Serverless Workflow 0.8 conformance', { concurrency: CONCURRENCY }, () => {
  let ctx: SuiteContext | undefined;
  let close: (() => Promise<void>) | undefined;
  const stub = new StubServer();
  const tmpDir = mkdtempSync(join(tmpdir(), 'swirl-conformance-'));

  before(async () => {
    ({ ctx, close } = await openSuite(stub, tmpDir, { store: STORE, ...(CACHE !== undefined ? { cacheSize: CACHE } : {}) }));
  });

  after(async () => {
    await close?.();
    rmSync(tmpDir, { recursive: true, force: true });
  });

  for (const c of cases) {
    const todo = KNOWN_FAILURES[c.name];
    it(c.name, todo !== undefined ? { todo } : {}, async () => {
      if (!ctx) throw new Error('suite set-up failed (see the before hook)');
      await runCase(ctx, c);
    });
  }
});
