/**
 * @module bench/noop-app-process
 * The no-op app of bench/serve-http.ts (`startNoopApp`) in a process of its own, so that its CPU
 * can be read from /proc apart from the load generator's: prints `noop app listening on <port>`,
 * answers `GET /calls` with the number of calls so far. Used by bench/declarative-http-pipeline.ts.
 *
 * Run: `node --import tsx bench/noop-app-process.ts`
 */

import { startNoopApp } from './serve-http.js';

const app = await startNoopApp();
console.log(`noop app listening on ${app.port}`);
process.on('message', () => process.send?.(app.calls()));
process.on('SIGTERM', () => {
  app.server.closeAllConnections();
  app.server.close(() => process.exit(0));
});
