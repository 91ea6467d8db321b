/**
 * Starts `swirl serve` as a real child process (node --import tsx, not the tsx launcher, which
 * would leave its child running after a SIGKILL) on an ephemeral port (loopback unless `extra` says
 * `--host`; the base URL is always the loopback one), with the workflows
 * and the SQLite store of `dir`. Every process started is recorded in `started`, so a failing
 * assertion never leaves one running. `launcher` replaces test/cli/run-cli.ts (a fault-injecting
 * wrapper around it, say).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'test', 'cli', 'run-cli.ts');

/** A running `swirl serve` child. */
export interface Server {
  proc: ChildProcess;
  base: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** How {@link startServe} places the child. */
export interface ServeLayout {
  /** Run in `dir` (not the repository root) and pass no --workflows: the server's own default applies. */
  defaultWorkflows?: boolean;
}

/** Resolves once the server prints its address; rejects if it exits before. */
export function startServe(dir: string, started: ChildProcess[], extra: string[] = [], launcher = cli, env: NodeJS.ProcessEnv = process.env, layout: ServeLayout = {}): Promise<Server> {
  // gRPC off unless a test asks for it: the default port 50001 is shared by every test process.
  const grpc = extra.includes('--grpc-port') ? [] : ['--grpc-port', '0'];
  // No --host: the default is loopback (127.0.0.1); a test passes --host 0.0.0.0 to listen beyond it.
  const workflows = layout.defaultWorkflows === true ? [] : ['--workflows', join(dir, 'workflows')];
  // Outside the repository `--import tsx` cannot find tsx by name: import it by its resolved URL.
  const tsx = layout.defaultWorkflows === true ? import.meta.resolve('tsx') : 'tsx';
  const args = ['--import', tsx, launcher, 'serve', '--port', '0', ...workflows, '--store', `sqlite:${join(dir, 'swirl.db')}`, ...grpc, ...extra];
  const proc = spawn(process.execPath, args, { cwd: layout.defaultWorkflows === true ? dir : root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // https:// when the test serves TLS (--tls-cert).
      const m = /listening on (https?):\/\/(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)/.exec(out);
      if (m) resolve({ proc, base: `${m[1]}://127.0.0.1:${m[2]}`, stdout: () => out, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`swirl serve exited with ${code} before listening:\n${out}\n${err}`)));
  });
}
