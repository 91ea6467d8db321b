/**
 * @module test/store/sqlite.test
 * Runs the store contract suite on the SQLite backend (a temp file per test, all deleted after),
 * then the SQLite-only promises: versioned migrations, refusal of a newer schema, WAL +
 * synchronous=FULL by default, group commit (many concurrent turns, one transaction) and the
 * `openStore('sqlite:…')` factory.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/migrations.js';
import { openSqliteStore, SqliteStore } from '../../src/store/sqlite.js';
import { WalSync } from '../../src/store/sqlite-wal-sync.js';
import { storeContract } from './contract.js';
import { createRequest, rejectsWithCode, turnFor } from './contract-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-sqlite-store-'));
let counter = 0;
const freshPath = (): string => join(dir, `store-${++counter}.db`);

storeContract('sqlite', {
  async create() {
    return openSqliteStore(freshPath());
  },
  async reopen(closed) {
    return openSqliteStore((closed as SqliteStore).path);
  },
});

// The same contract with SQLite's own blocking fsync inside COMMIT (and relaxed claim commits).
storeContract('sqlite, syncOffThread: false', {
  async create() {
    return openSqliteStore({ path: freshPath(), syncOffThread: false });
  },
  async reopen(closed) {
    return openSqliteStore({ path: (closed as SqliteStore).path, syncOffThread: false });
  },
});

// One temp directory for the whole file, removed when every suite in it has run.
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store specifics', () => {
  it('records every migration in the version table on open, and reopening applies nothing twice', async () => {
    const path = freshPath();
    await (await openSqliteStore(path)).close();
    await (await openSqliteStore(path)).close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare(`SELECT version, name FROM ${SCHEMA_VERSION_TABLE} ORDER BY version`).all();
    db.close();
    assert.deepEqual(
      rows,
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
  });

  it('upgrades a version-1 database in place, keeping its data', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.exec(`CREATE TABLE ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    for (const sql of MIGRATIONS[0].sqlite) db.exec(sql);
    db.prepare(`INSERT INTO ${SCHEMA_VERSION_TABLE} VALUES (1, ?, 0)`).run(MIGRATIONS[0].name);
    db.prepare(`INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at) VALUES ('old', 'e', 'wf', 'PENDING', 5, 5)`).run();
    db.prepare(`INSERT INTO inbox (instance_id, visible_at, data) VALUES ('old', 5, 'start')`).run();
    db.close();
    const store = await openSqliteStore(path);
    const [item] = await store.claimOrchestrations({ leaseId: 'L', now: 10, leaseMs: 100, limit: 10 });
    assert.equal(item.instance.instanceId, 'old');
    assert.deepEqual(
      item.messages.map((m) => m.data),
      ['start'],
    );
    await store.close();
    const check = new Database(path, { readonly: true });
    assert.deepEqual(check.prepare(`SELECT MAX(version) AS v FROM ${SCHEMA_VERSION_TABLE}`).get(), { v: LATEST_SCHEMA_VERSION });
    check.close();
  });

  it('refuses a database written by a newer Swirl with STORE_SCHEMA_TOO_NEW, leaving it untouched', async () => {
    const path = freshPath();
    await (await openSqliteStore(path)).close();
    const db = new Database(path);
    db.prepare(`INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, applied_at) VALUES (?, 'from the future', 0)`).run(LATEST_SCHEMA_VERSION + 1);
    db.close();
    await assert.rejects(openSqliteStore(path), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_SCHEMA_TOO_NEW');
      assert.match(e.message, new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this Swirl build supports \\(${LATEST_SCHEMA_VERSION}\\)`));
      return true;
    });
  });

  it('is durable by default: WAL, and every acknowledged write has had the WAL synced after it (off the JS thread)', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    const own = (store as unknown as { db: Database.Database }).db;
    assert.equal(own.pragma('synchronous', { simple: true }), 1, 'COMMIT itself runs at NORMAL; the store syncs the WAL');
    const before = store.commitStats.walSyncs;
    await store.createInstance(createRequest('a'));
    assert.equal(store.commitStats.walSyncs, before + 1, 'acknowledged only after a WAL sync');
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.createInstance(createRequest(`b${i}`))));
    assert.ok(store.commitStats.walSyncs <= before + 3, `50 concurrent creates share syncs (${store.commitStats.walSyncs - before - 1} used)`);
    await store.close();

    const blocking = await openSqliteStore({ path: freshPath(), syncOffThread: false });
    assert.equal((blocking as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }), 2, 'syncOffThread: false is SQLite FULL');
    await blocking.createInstance(createRequest('a'));
    assert.equal(blocking.commitStats.walSyncs, 0);
    await blocking.close();
  });

  it('group-commits concurrent turns of many instances into few transactions', async () => {
    const store = await openSqliteStore(freshPath());
    const ids = Array.from({ length: 200 }, (_, i) => `g${i}`);
    await Promise.all(ids.map((id) => store.createInstance(createRequest(id))));
    const items = await store.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 30_000, limit: 500 });
    assert.equal(items.length, 200);
    const before = store.commitStats;
    await Promise.all(items.map((item) => store.commitTurn(turnFor(item, 'RUNNING', 3))));
    const after = store.commitStats;
    assert.equal(after.operations - before.operations, 200);
    assert.equal(after.commits - before.commits, 1, '200 turns submitted together share one transaction');
    for (const id of ids.slice(0, 5)) assert.equal((await store.loadHistory(id)).length, 3);
    await store.close();
  });

  it('never syncs for a batch of claims only; a batch with any durable write is synced', async () => {
    const store = await openSqliteStore(freshPath());
    await store.createInstance(createRequest('a'));
    const s0 = store.commitStats;
    const [item] = await store.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 1000, limit: 1 });
    assert.equal(store.commitStats.walSyncs, s0.walSyncs, 'the claim alone caused no sync');
    await store.commitTurn(turnFor(item, 'RUNNING', 1));
    assert.equal(store.commitStats.walSyncs, s0.walSyncs + 1);
    const s1 = store.commitStats;
    assert.deepEqual(await store.claimOrchestrations({ leaseId: 'L2', now: 1000, leaseMs: 1000, limit: 1 }), [], 'nothing to claim');
    assert.equal(store.commitStats.commits, s1.commits, 'an empty claim is answered without a transaction');
    await store.close();

    const strict = await openSqliteStore({ path: freshPath(), durableClaims: true });
    await strict.createInstance(createRequest('a'));
    const before = strict.commitStats.walSyncs;
    await strict.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 1000, limit: 1 });
    assert.equal(strict.commitStats.walSyncs, before + 1, 'durableClaims: the claim is synced like any write');
    await strict.close();
  });

  it('with SQLite blocking FULL, claim-only batches commit without an fsync unless durableClaims', async () => {
    const relaxed = await openSqliteStore({ path: freshPath(), syncOffThread: false });
    const db = (relaxed as unknown as { db: Database.Database }).db;
    await relaxed.createInstance(createRequest('a'));
    const s0 = relaxed.commitStats;
    const [item] = await relaxed.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 1000, limit: 1 });
    const s1 = relaxed.commitStats;
    assert.equal(s1.relaxedCommits - s0.relaxedCommits, 1, 'the claim alone committed relaxed');
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after the relaxed commit');
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'auto-checkpoint back on');
    await Promise.all([relaxed.commitTurn(turnFor(item, 'RUNNING', 1)), relaxed.claimActivities({ leaseId: 'T', now: 1000, leaseMs: 1, limit: 1 })]);
    assert.equal(relaxed.commitStats.relaxedCommits, s1.relaxedCommits, 'a batch with a turn in it is durable');
    await relaxed.close();

    const strict = await openSqliteStore({ path: freshPath(), syncOffThread: false, durableClaims: true });
    await strict.createInstance(createRequest('a'));
    await strict.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 1000, limit: 1 });
    assert.equal(strict.commitStats.relaxedCommits, 0);
    await strict.close();
  });

  it('checkpoints the WAL from a worker thread once the store is busy, and stops it on close', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const initial = statSync(path).size;
    for (let i = 0; i < 300; i++) await store.createInstance(createRequest(`k${i}`)); // 300 separate commits
    const own = (store as unknown as { db: Database.Database }).db;
    assert.equal(own.pragma('wal_autocheckpoint', { simple: true }), 10_000, 'auto-checkpoint on the JS thread is only a backstop now');
    const deadline = Date.now() + 5000;
    while (statSync(path).size <= initial && Date.now() < deadline) await sleep(20);
    assert.ok(statSync(path).size > initial, 'the worker copied WAL pages into the database file');
    await store.close();
    const reopened = await openSqliteStore(path);
    assert.equal((await reopened.queryInstances({ pageSize: 1000 })).instances.length, 300);
    await reopened.close();
  });

  it('fails every waiting and later acknowledgement once a WAL sync fails (nothing is reported durable after it)', async () => {
    const sync = new WalSync(join(dir, 'missing-dir', 'x.db-wal'));
    const first = sync.whenDurable(sync.committed());
    await assert.rejects(first, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'WRITE_OUTCOME_UNKNOWN', 'the commit happened; only its durability is unknown');
      assert.match(e.message, /cannot sync the SQLite WAL/);
      return true;
    });
    await assert.rejects(sync.whenDurable(0), /cannot sync the SQLite WAL/, 'even what was durable before is not acknowledged any more');
  });

  it('close() commits the writes still queued before it releases the file', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    const pending = Promise.all(Array.from({ length: 10 }, (_, i) => store.createInstance(createRequest(`c${i}`))));
    await store.close();
    await pending;
    const reopened = await openSqliteStore(path);
    assert.equal((await reopened.queryInstances({})).instances.length, 10);
    await reopened.close();
  });

  it('is what openStore("sqlite:<path>") returns', async () => {
    const store = await openStore(`sqlite:${freshPath()}`);
    assert.equal(store.kind, 'sqlite');
    await store.createInstance(createRequest('a'));
    await rejectsWithCode(store.createInstance(createRequest('a', 1000, { reusePolicy: 'REJECT' })), 'INSTANCE_EXISTS');
    await store.close();
  });

  it('reports a file it cannot open as STORE_OPEN_FAILED', async () => {
    await assert.rejects(openSqliteStore(join(dir, 'no-such-dir', 'x.db')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_OPEN_FAILED');
      assert.match(e.message, /cannot open SQLite database/);
      return true;
    });
  });
});
