// Runs the CLI from source (tests spawn this with tsx), exiting with the CLI's exit code.
// SWIRL_TEST_CLI=bundle runs the bundle bin/swirl runs instead (dist/cli-bundle, `npm run build`
// first): the CLI tests then check the built CLI (scripts/build-cli.mjs).
import { cliMain } from './cli-under-test.js';

const main = await cliMain();

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(70);
  },
);
