/**
 * @module test/store/sqlite.test
 * Runs the store contract suite on the SQLite backend (a temp file per test, all deleted after),
 * then the SQLite-only promises: versioned migrations, refusal of a newer schema, WAL +
 * synchronous=FULL by default, group commit (many concurrent turns, one transaction), the
 * `openStore('sqlite:…')` factory, index-only plans of the claim/probe/wake-up paths, and the
 * fault contract (a failed sync: WRITE_OUTCOME_UNKNOWN, onFatal once, then STORE_FAILED).
 */

import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/migrations.js';
import { openSqliteStore, SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite.js';
import { WalSync } from '../../src/store/sqlite-wal-sync.js';
import { storeContract } from './contract.js';
import { claimOne, createRequest, rejectsWithCode, turnFor } from './contract-helpers.js';

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

describe('SQLite store: index-driven claims and wake-ups (finding 12)', () => {
  it('claims, idle probes, nextWakeAt and queuedWork are index searches: no full SCAN of instances, inbox or tasks, no sort', async () => {
    const store = await openSqliteStore(freshPath());
    const own = store as unknown as {
      db: Database.Database;
      sql: Record<string, Database.Statement> & {
        visibleMessages(n: number): Database.Statement;
        updateInstance(a: boolean, b: boolean, c: boolean): Database.Statement;
        lockInstance: { recompute: Database.Statement };
      };
      inspection: Record<string, Database.Statement>;
    };
    const statements: Record<string, Database.Statement> = {
      visibleMessages: own.sql.visibleMessages(1000),
      endOfTurnUpdate: own.sql.updateInstance(false, false, false),
      lockInstance: own.sql.lockInstance.recompute,
      // (releaseTasks scans on purpose: the tasks table holds only queued work; see migration 3.)
    };
    for (const key of ['readyInstances', 'readyInstancesNamed', 'anyReadyInstance', 'anyReadyInstanceNamed', 'readyTasks', 'readyTasksNamed', 'anyReadyTask', 'anyReadyTaskNamed', 'nextWake', 'noteMessage', 'takeMessages', 'unlockInstance', 'renewInstanceLock', 'delayWindow', 'releaseInstances', 'unstartedExecution', 'pinnedMessages']) {
      statements[key] = own.sql[key];
    }
    for (const key of ['readyInstancesByName', 'readyTasksByName', 'inboxSummary', 'deleteUnusedDefinition']) statements[key] = own.inspection[key];
    const params = { now: 1, limit: 10, name: 'x', id: 'a', lease: 'l', lock: 5, last: 3, visible: 1, prefix: 'p', expires: 1, exec: 'e', status: 's', hash: 'h', version: 'v', updated: 1, completed: 1, input: 'i', output: 'o', keepInput: 0, keepOutput: 0, custom: 'c', failure: 'f', length: 1, before: 1 };
    for (const [key, statement] of Object.entries(statements)) {
      assert.ok(statement, key);
      // Positional statements (the end-of-turn update) take one value per `?`.
      const positional = statement.source.match(/\?/g);
      const bound = positional !== null ? positional.map(() => 1) : params;
      const plan = (own.db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(bound) as Array<{ detail: string }>).map((row) => row.detail);
      for (const step of plan) {
        // Allowed: the constant row of EXISTS and the recursive CTE's own queue of names.
        assert.doesNotMatch(step, /^SCAN (?!CONSTANT ROW|names\b)/, `${key} scans: ${plan.join(' | ')}`);
        assert.doesNotMatch(step, /TEMP B-TREE/, `${key} sorts: ${plan.join(' | ')}`);
      }
    }
    await store.close();
  });
});

describe('SQLite store: instance-id prefix uses the primary key', () => {
  it('queryInstances and countInstances with a prefix SEARCH the instance_id key, never SCAN instances', async () => {
    const store = await openSqliteStore(freshPath());
    for (const id of ['ord-1', 'ord-2', 'other']) await store.createInstance(createRequest(id));
    assert.deepEqual((await store.queryInstances({ instanceIdPrefix: 'ord-' })).instances.map((r) => r.instanceId), ['ord-1', 'ord-2']);
    assert.deepEqual(await store.countInstances({ instanceIdPrefix: 'ord-' }), [{ name: 'wf', status: 'PENDING', count: 2 }]);
    await store.queryInstances({ instanceIdPrefix: 'ord-', order: 'desc' });
    const own = store as unknown as { db: Database.Database; sql: { dynamic: Map<string, Database.Statement> } };
    const texts = [...own.sql.dynamic.keys()].filter((t) => t.includes('instance_id >= ?'));
    assert.equal(texts.length, 3, texts.join('\n'));
    for (const text of texts) {
      const params = (text.match(/\?/g) ?? []).map((_, i) => (i === 0 ? 'ord-' : i === 1 ? 'ord.' : 10));
      const plan = (own.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);
      assert.ok(plan.some((step) => /^SEARCH instances USING INDEX sqlite_autoindex_instances_1 \(instance_id>\? AND instance_id<\?\)/.test(step)), `${text}: ${plan.join(' | ')}`);
      assert.ok(!plan.some((step) => /^SCAN instances/.test(step)), `${text}: ${plan.join(' | ')}`);
    }
    await store.close();
  });
});

describe('SQLite store: faults', () => {
  /** An fdatasync that fails (EIO) while `state.fail` is set. */
  function faultySync(state: { fail: boolean }): NonNullable<NonNullable<SqliteStoreOptions['testHooks']>['fdatasync']> {
    return (fd, callback) => {
      if (state.fail) callback(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      else fdatasync(fd, callback);
    };
  }

  /** The fault contract after the write `lost` hit a failed sync. */
  async function checkFailedStore(store: SqliteStore, lost: Promise<unknown>, calls: () => number, reopen: () => Promise<SqliteStore>): Promise<void> {
    await rejectsWithCode(lost, 'WRITE_OUTCOME_UNKNOWN');
    assert.equal(calls(), 1, 'onFatal is called once');
    await rejectsWithCode(store.createInstance(createRequest('after')), 'STORE_FAILED');
    await rejectsWithCode(store.enqueueMessages([{ instanceId: 'before', data: 'x', visibleAt: 1000 }]), 'STORE_FAILED');
    await rejectsWithCode(store.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 100, limit: 10 }), 'STORE_FAILED');
    assert.equal(calls(), 1, 'still once');
    assert.equal((await store.getInstance('lost'))?.status, 'PENDING', 'reads keep working (and see the committed batch)');
    let late = 0;
    store.onFatal(() => late++);
    await Promise.resolve();
    assert.equal(late, 1, 'a listener registered afterwards hears of it at once');
    await store.close();
    const reopened = await reopen();
    assert.ok(await reopened.getInstance('before'));
    assert.ok(await reopened.getInstance('lost'), 'the batch was committed: it is there after reopen');
    assert.equal(await reopened.getInstance('after'), undefined);
    await reopened.close();
  }

  it('a failed WAL fsync: the batch rejects WRITE_OUTCOME_UNKNOWN, onFatal fires once, later writes STORE_FAILED, reads work', async () => {
    const path = freshPath();
    const state = { fail: false };
    const store = await openSqliteStore({ path, testHooks: { fdatasync: faultySync(state) } });
    let calls = 0;
    store.onFatal((error) => {
      calls++;
      assert.equal((error as Error & { code?: string }).code, 'STORE_FAILED');
    });
    await store.createInstance(createRequest('before'));
    state.fail = true;
    const lost = store.createInstance(createRequest('lost'));
    await checkFailedStore(store, lost, () => calls, () => openSqliteStore(path));
  });

  it("with SQLite's blocking FULL, a failed commit-time sync is reported the same way", async () => {
    const path = freshPath();
    let fail = false;
    const commit = (run: () => void): void => {
      run();
      if (fail) throw Object.assign(new Error('disk I/O error (injected after COMMIT)'), { code: 'SQLITE_IOERR_FSYNC' });
    };
    const store = await openSqliteStore({ path, syncOffThread: false, testHooks: { commit } });
    let calls = 0;
    store.onFatal(() => calls++);
    await store.createInstance(createRequest('before'));
    fail = true;
    const lost = store.createInstance(createRequest('lost'));
    await checkFailedStore(store, lost, () => calls, () => openSqliteStore({ path, syncOffThread: false }));
  });

  it('a failing read is STORE_READ_FAILED and a write that fails before COMMIT is STORE_WRITE_FAILED; neither is fatal', async () => {
    const store = await openSqliteStore(freshPath());
    await store.createInstance(createRequest('a'));
    let calls = 0;
    store.onFatal(() => calls++);
    const own = store as unknown as { db: Database.Database; walSync: WalSync | undefined };
    own.db.close(); // the connection fails every statement from here on
    await rejectsWithCode(store.getInstance('a'), 'STORE_READ_FAILED');
    await rejectsWithCode(store.nextWakeAt(0), 'STORE_READ_FAILED');
    await rejectsWithCode(store.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 100, limit: 1 }), 'STORE_READ_FAILED');
    await rejectsWithCode(store.createInstance(createRequest('b')), 'STORE_WRITE_FAILED');
    assert.equal(calls, 0);
    await own.walSync?.close();
  });
});

describe('SQLite store: migration 3', () => {
  it('upgrades a version-2 database whose inbox rows were stranded by a dead lease (finding 1): they are claimable again', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.exec(`CREATE TABLE ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    for (const m of MIGRATIONS.slice(0, 2)) {
      for (const sql of m.sqlite) db.exec(sql);
      db.prepare(`INSERT INTO ${SCHEMA_VERSION_TABLE} VALUES (?, ?, 0)`).run(m.version, m.name);
    }
    db.prepare(`INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, history_length) VALUES ('w', 'e', 'wf', 'RUNNING', 5, 5, 3)`).run();
    const insert = db.prepare(`INSERT INTO inbox (instance_id, visible_at, data, locked_by, dequeue_count) VALUES ('w', 5, ?, ?, ?)`);
    insert.run('e998', 'dead-lease', 1); // the wedge: locked rows of an unlocked instance
    insert.run('e999', 'dead-lease', 1);
    db.prepare(`INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, data, locked_by, lock_expires_at) VALUES ('w', 'e', 1, 'act', 5, '{}', 'gone', 50)`).run();
    db.close();
    const store = await openSqliteStore(path);
    const item = await claimOne(store, 'w', 10);
    assert.deepEqual(
      item.messages.map((m) => [m.data, m.dequeueCount]),
      [
        ['e998', 2],
        ['e999', 2],
      ],
    );
    assert.equal(await store.nextWakeAt(10), 50, 'the leased task is ready when its lease expires');
    assert.equal((await store.claimActivities({ leaseId: 'T', now: 50, leaseMs: 10, limit: 10 })).length, 1);
    await store.close();
  });

  it('keeps lease epochs across a reopen', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    await store.createInstance(createRequest('a'));
    const first = await claimOne(store, 'a', 1000);
    await store.commitTurn(turnFor(first, 'RUNNING', 1, { messages: [{ instanceId: 'a', data: 'again', visibleAt: 1000 }] }));
    await store.close();
    const reopened = await openSqliteStore(path);
    const second = await claimOne(reopened, 'a', 1000);
    assert.ok(second.epoch > first.epoch, `${second.epoch} > ${first.epoch}`);
    await reopened.close();
  });
});
