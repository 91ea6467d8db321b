/**
 * @module test/engine/fault-store
 * A real SQLite store whose WAL fsync fails on demand, through the store's own test hook
 * (SqliteStoreOptions.testHooks.fdatasync): the disk fault of issue 9, finding 8.
 */
import { fdatasync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite.js';

/** Opens `path`; every WAL sync after `fail.now = true` fails with EIO. */
export async function failingSqlite(path: string): Promise<{ store: Awaited<ReturnType<typeof openSqliteStore>>; fail: { now: boolean } }> {
  const fail = { now: false };
  const store = await openSqliteStore({
    path,
    testHooks: {
      fdatasync: (fd, cb) => (fail.now ? setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }))) : fdatasync(fd, cb)),
    },
  });
  return { store, fail };
}
