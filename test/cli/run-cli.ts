// Runs the CLI from source (tests spawn this with tsx), exiting with the CLI's exit code.
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(70);
  },
);
