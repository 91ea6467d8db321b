// Runs the CLI from source the way bin/swirl does: the exit code is set, not forced with
// process.exit, so anything the command leaves running (a socket, a timer) keeps the process alive.
// SWIRL_TEST_CLI=bundle runs the bundle bin/swirl runs instead (dist/cli-bundle, `npm run build`
// first): the CLI tests then check the built CLI (scripts/build-cli.mjs).
import { cliMain } from './cli-under-test.js';

const main = await cliMain();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 70;
  },
);
