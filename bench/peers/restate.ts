/**
 * @module bench/peers/restate
 * Restate 1.7.12 for the peers harness: the server binary from npm (@restatedev/restate-server)
 * on loopback with its data in a temp directory, the handler endpoint (restate-service.ts) in its
 * own process, the deployment registered over the admin API, and one chain call over the HTTP
 * ingress (`POST /chain/run`, answered synchronously with the result).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { dispatcher } from '../serve-http.js';
import { exchange } from '../http-client.js';

const INGRESS_PORT = Number(process.env.PEERS_RESTATE_INGRESS_PORT ?? 28080);
const ADMIN_PORT = Number(process.env.PEERS_RESTATE_ADMIN_PORT ?? 29070);
const SERVICE_PORT = Number(process.env.PEERS_RESTATE_SERVICE_PORT ?? 29080);

export interface RestateRun {
  server: ChildProcess;
  service: ChildProcess;
  /** One chain over the ingress; checks the result. */
  one: (i: number) => Promise<void>;
  stop: () => Promise<void>;
}

function serverBinary(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@restatedev/restate-server-linux-x64/package.json')), 'bin', 'restate-server');
}

async function until(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`restate: ${what} not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Starts the server (data under `dir`) and the service, registers the deployment, warms up. */
export async function startRestate(dir: string): Promise<RestateRun> {
  const config = join(dir, 'restate.toml');
  writeFileSync(
    config,
    `base-dir = "${join(dir, 'data')}"\ndisable-telemetry = true\nlog-filter = "warn"\n[admin]\nbind-address = "127.0.0.1:${ADMIN_PORT}"\n[ingress]\nbind-address = "127.0.0.1:${INGRESS_PORT}"\n`,
  );
  const server = spawn(serverBinary(), ['--config-file', config, '--bind-ip', '127.0.0.1', '--listen-mode', 'tcp', '--no-logo'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const service = spawn(process.execPath, ['--import', 'tsx', new URL('./restate-service.ts', import.meta.url).pathname, String(SERVICE_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ready, fail) => {
    service.once('exit', (code) => fail(new Error(`restate service exited with ${code}`)));
    createInterface({ input: service.stdout! }).on('line', (l) => l === 'ready' && ready());
  });
  await until('admin API', 30_000, async () => (await request(`http://127.0.0.1:${ADMIN_PORT}/health`, { dispatcher })).statusCode === 200);
  const deployed = await request(`http://127.0.0.1:${ADMIN_PORT}/deployments`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: `http://127.0.0.1:${SERVICE_PORT}`, force: true }) });
  if (deployed.statusCode >= 300) throw new Error(`restate deployment answered ${deployed.statusCode}: ${await deployed.body.text()}`);
  await deployed.body.dump();
  const one = async (i: number): Promise<void> => {
    const res = await exchange(`http://127.0.0.1:${INGRESS_PORT}/chain/run`, 'POST', JSON.stringify(i));
    const text = res.text;
    if (res.statusCode !== 200 || Number(text) !== i + 3) throw new Error(`restate chain ${i} answered ${res.statusCode}: ${text}`);
  };
  await until('ingress', 30_000, async () => (await one(0), true));
  return {
    server,
    service,
    one,
    stop: async () => {
      for (const p of [service, server]) if (p.exitCode === null) p.kill('SIGTERM');
      await Promise.all([exitOf(service), exitOf(server)]);
    },
  };
}
