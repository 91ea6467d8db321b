/**
 * @module test/host/fsync-fault-launcher
 * Runs the CLI like test/cli/run-cli.ts, but with a real fault under it: once the file named by
 * SWIRL_TEST_FSYNC_TRIGGER exists, every `fs.fdatasync` fails with EIO — what a dying disk does to
 * the SQLite store's WAL sync. Nothing in Swirl is told: it finds out as it would in production.
 * (`syncBuiltinESMExports` makes the patched function what ESM imports of node:fs see.)
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const trigger = process.env.SWIRL_TEST_FSYNC_TRIGGER;
const real = fs.fdatasync;
const faulty = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
  if (trigger !== undefined && fs.existsSync(trigger)) {
    const err: NodeJS.ErrnoException = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
    setImmediate(() => callback(err));
    return;
  }
  real(fd, callback);
}) as typeof fs.fdatasync;
fs.fdatasync = faulty;
syncBuiltinESMExports();

// The fault is patched into src/ modules, so this always runs the CLI from source (never the
// bundle that SWIRL_TEST_CLI=bundle selects, test/cli/cli-under-test.ts).
delete process.env.SWIRL_TEST_CLI;
await import('../cli/run-cli.js');
