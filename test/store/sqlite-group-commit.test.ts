import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { GroupCommitter } from '../../src/store/sqlite-group-commit.js';

function setup(): { db: Database.Database; writer: GroupCommitter; rows: () => string[] } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
  const writer = new GroupCommitter(db);
  const rows = (): string[] => (db.prepare('SELECT v FROM t ORDER BY v').pluck().all() as string[]);
  return { db, writer, rows };
}

describe('GroupCommitter', () => {
  test('operations submitted together share one transaction', async () => {
    const { db, writer, rows } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const results = await Promise.all(['a', 'b', 'c'].map((v) => writer.submit(() => insert.run(v).changes)));
    assert.deepEqual(results, [1, 1, 1]);
    assert.deepEqual(rows(), ['a', 'b', 'c']);
    assert.equal(writer.stats.commits, 1);
    assert.equal(writer.stats.operations, 3);
  });

  test('a failing operation undoes only its own writes; the others of its batch commit', async () => {
    const { db, writer, rows } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    let runsOfLast = 0;
    const settled = await Promise.allSettled([
      writer.submit(() => insert.run('a')),
      writer.submit(() => {
        insert.run('half-written');
        throw new Error('refused after a write');
      }),
      writer.submit(() => {
        runsOfLast++;
        insert.run('c');
        return (db.prepare('SELECT COUNT(*) FROM t').pluck().get() as number);
      }),
      // A constraint violation raised by SQLite itself.
      writer.submit(() => insert.run('a')),
    ]);
    assert.equal(settled[0].status, 'fulfilled');
    assert.equal(settled[1].status, 'rejected');
    assert.equal(settled[2].status, 'fulfilled');
    // The operation saw only the writes of the operations that succeed: the failed one's are gone.
    assert.equal((settled[2] as PromiseFulfilledResult<number>).value, 2);
    assert.ok(runsOfLast >= 1);
    assert.equal(settled[3].status, 'rejected');
    assert.equal((settled[3] as PromiseRejectedResult).reason.code, 'STORE_WRITE_FAILED');
    assert.deepEqual(rows(), ['a', 'c']);
    assert.equal(writer.stats.commits, 1);
  });

  test('a batch whose only operation fails writes nothing and commits nothing it wrote', async () => {
    const { db, writer, rows } = setup();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    await assert.rejects(
      writer.submit(() => {
        insert.run('x');
        throw new Error('no');
      }),
      /no/,
    );
    assert.deepEqual(rows(), []);
    assert.equal(db.inTransaction, false);
  });
});
