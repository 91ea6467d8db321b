// Runs the CLI from source the way bin/swirl does: the exit code is set, not forced with
// process.exit, so anything the command leaves running (a socket, a timer) keeps the process alive.
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 70;
  },
);
