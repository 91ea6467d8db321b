/**
 * @module bench/startup
 * Start-up cost of `swirl serve` (issue 12: ready ≤ 0.5 s of CPU): CPU time (user + system, all
 * threads, from /proc/<pid>/stat) and wall time of the child process at the moment it is ready —
 * its "swirl serve listening on" line, printed once HTTP and gRPC both listen — against a bare
 * `node -e` node:http server that prints its listening line, measured in the same run, alternating.
 * After each ready line the bench also waits for `GET /healthz` to answer 200 (wall time to first
 * answer), then stops the child with SIGTERM.
 *
 * `--modules` adds the packages loaded by the time `swirl serve` is ready (one more start with a
 * resolve hook) and the CPU of importing each alone, which is where the start-up CPU that is left goes.
 *
 * Run (the tsc build is what users start): `npm run build && npx tsx bench/startup.ts [reps=7] [--modules] [--before <checkout>] [--write]`.
 * `--write` replaces the startup section of bench/README.md.
 */

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, tempDir } from './engine-common.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const REPS = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--before') ?? 7);
const MODULES = args.includes('--modules');
const WRITE = args.includes('--write');
/** `--before <checkout>`: also start the `swirl serve` of another built checkout (the code before a change). */
const BEFORE = args.includes('--before') ? args[args.indexOf('--before') + 1] : undefined;
const TICKS_PER_S = 100; // USER_HZ on Linux

interface Sample {
  cpuMs: number;
  wallMs: number;
  healthzMs: number;
}

/** user + system CPU of a live process, all its threads, in ms. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}

/** Starts `argv`, waits for a stdout line matching `ready` (port in group 1), samples, stops it. */
async function startOnce(argv: string[], ready: RegExp, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    const { port, cpuMs, wallMs } = await new Promise<{ port: number; cpuMs: number; wallMs: number }>((done, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = ready.exec(out);
        if (m) done({ port: Number(m[1]), cpuMs: cpuOf(child.pid!), wallMs: performance.now() - t0 });
      });
      child.on('exit', (code) => fail(new Error(`${argv.join(' ')} exited with ${code} before ready:\n${out}\n${stderr}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    await res.text();
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    return { cpuMs, wallMs, healthzMs: performance.now() - t0 };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const BARE = [
  '-e',
  "const s = require('node:http').createServer((q, r) => r.end('ok')); s.listen(0, '127.0.0.1', () => console.log('listening on ' + s.address().port)); process.on('SIGTERM', () => s.close());",
];

function serveArgv(dir: string, store: string, extra: string[] = [], grpc = true, root = ROOT): string[] {
  return [
    ...extra,
    join(root, 'bin', 'swirl'),
    'serve',
    '--port', '0',
    '--grpc-port', grpc ? String(20000 + Math.floor(Math.random() * 20000)) : '0',
    '--store', `sqlite:${join(dir, store)}`,
    '--log-level', 'warn',
  ];
}
const SERVE_READY = /swirl serve listening on https?:\/\/[^:]+:(\d+)/;

/**
 * An `--import` module that records every module the child resolves (ESM, via a resolve hook) and
 * requires (CommonJS), as "url <- parent", into $SWIRL_BENCH_TRACE.
 */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.SWIRL_BENCH_TRACE, r.url + ' <- ' + (c.parentURL ?? '') + '\\n'); return r; }`;
const TRACER = `import { register, Module } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try { appendFileSync(process.env.SWIRL_BENCH_TRACE, pathToFileURL(Module._resolveFilename(request, parent, isMain)).href + ' <- ' + (parent?.filename ? pathToFileURL(parent.filename).href : '') + '\\n'); } catch {}
  return load.apply(this, arguments);
};`;

/** The packages Swirl's own files (dist/) load by the time `swirl serve` is ready: name → entry URL. */
function packagesAtReady(traceFile: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const [url, parent] = line.split(' <- ');
    if (!url || !parent || !parent.includes('/dist/') || parent.includes('/node_modules/')) continue;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m && !out.has(m[1])) out.set(m[1], url);
  }
  return out;
}

/** CPU (ms, all threads) of a fresh node that imports `url` and exits, minus one that imports nothing. */
async function importCpu(url: string | undefined): Promise<number> {
  const script = `${url ? `await import(${JSON.stringify(url)});` : ''} const u = process.cpuUsage(); console.log((u.user + u.system) / 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((done) => child.on('exit', done));
  return Number(out.trim());
}

/** Median import CPU of each package loaded at ready, over the bare node's, largest first. */
async function moduleCosts(dir: string): Promise<Array<[string, number]>> {
  const traceFile = join(dir, 'trace.txt');
  writeFileSync(traceFile, '');
  const tracer = 'data:text/javascript,' + encodeURIComponent(TRACER);
  await startOnce(serveArgv(dir, 'trace.db', ['--import', tracer]), SERVE_READY, dir, { ...process.env, SWIRL_BENCH_TRACE: traceFile });
  const costs: Array<[string, number]> = [];
  for (const [name, url] of packagesAtReady(traceFile)) {
    const deltas: number[] = [];
    for (let i = 0; i < 3; i++) deltas.push((await importCpu(url)) - (await importCpu(undefined)));
    costs.push([name, median(deltas)]);
  }
  return costs.sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const tmp = tempDir('swirl-bench-startup-');
  const serve: Sample[] = [];
  const noGrpc: Sample[] = [];
  const before: Sample[] = [];
  const bare: Sample[] = [];
  try {
    await startOnce(BARE, /listening on (\d+)/, tmp.dir); // warm the page cache for node itself
    await startOnce(serveArgv(tmp.dir, 'warm.db'), SERVE_READY, tmp.dir);
    for (let i = 0; i < REPS; i++) {
      bare.push(await startOnce(BARE, /listening on (\d+)/, tmp.dir));
      serve.push(await startOnce(serveArgv(tmp.dir, `rep${i}.db`), SERVE_READY, tmp.dir));
      noGrpc.push(await startOnce(serveArgv(tmp.dir, `nogrpc${i}.db`, [], false), SERVE_READY, tmp.dir));
      if (BEFORE) before.push(await startOnce(serveArgv(tmp.dir, `before${i}.db`, [], true, BEFORE), SERVE_READY, tmp.dir));
    }
    let modules: Array<[string, number]> = [];
    if (MODULES) modules = await moduleCosts(tmp.dir);
    report(serve, noGrpc, before, bare, modules);
  } finally {
    tmp.remove();
  }
}

/** min–max of the CPU samples. */
function spread(s: Sample[]): string {
  const cpu = s.map((x) => x.cpuMs);
  return `${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}`;
}

function report(serve: Sample[], noGrpc: Sample[], before: Sample[], bare: Sample[], modules: Array<[string, number]>): void {
  const pick = (s: Sample[], k: keyof Sample) => median(s.map((x) => x[k]));
  const row = (label: string, k: keyof Sample) => {
    const a = pick(serve, k);
    const n = pick(noGrpc, k);
    const b = pick(bare, k);
    const was = before.length > 0 ? ` ${pick(before, k).toFixed(0)} (×${(pick(before, k) / b).toFixed(1)}) |` : '';
    return `| ${label} |${was} ${a.toFixed(0)} | ${n.toFixed(0)} | ${b.toFixed(0)} | ×${(a / b).toFixed(1)} | ×${(n / b).toFixed(1)} |`;
  };
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    '## Start-up of `swirl serve` (issue 12)',
    '',
    `Run ${when} UTC, Node ${process.version}, the build in dist/ (bin/swirl runs the CLI bundle, dist/cli-bundle/). Command: \`npm run build && npx tsx bench/startup.ts ${REPS}${MODULES ? ' --modules' : ''}${BEFORE ? ' --before <checkout>' : ''} --write\`.`,
    `Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on a shared 2-vCPU VM. Median of ${REPS} starts each, alternating;`,
    '`swirl serve --port 0 --grpc-port <free>` on a new SQLite file store, no workflows, no components (HTTP and gRPC on,',
    'tracing off), and the same with `--grpc-port 0`. Ready = its "swirl serve listening on" line (printed once HTTP and gRPC both listen); CPU = user + system',
    'of the child at that moment, all threads, from /proc/<pid>/stat (10 ms ticks). Baseline: a bare `node -e` node:http server.',
    '',
    `| at ready |${before.length > 0 ? ' before (gRPC on; ratio to bare) |' : ''} \`swirl serve\` (gRPC on, the default) | \`--grpc-port 0\` | bare node:http | ratio | ratio, no gRPC |`,
    `|---|${before.length > 0 ? '---:|' : ''}---:|---:|---:|---:|---:|`,
    row('CPU (ms)', 'cpuMs'),
    row('wall time to the listening line (ms)', 'wallMs'),
    row('wall time to the first `GET /healthz` 200 (ms)', 'healthzMs'),
    '',
    `CPU spread (min–max, ms): \`swirl serve\` ${spread(serve)}, \`--grpc-port 0\` ${spread(noGrpc)}, bare ${spread(bare)}${before.length > 0 ? `, before ${spread(before)}` : ''}.`,
    '',
    ...(BEFORE ? [`"before" is \`swirl serve\` of the checkout given with \`--before\` (the code before the change, built), started in the same rounds.`, ''] : []),
    `Goal (issue 12): ready ≤ 500 ms of CPU → ${pick(serve, 'cpuMs') <= 500 ? 'met' : 'not met'} (${pick(serve, 'cpuMs').toFixed(0)} ms).`,
  ];
  if (modules.length > 0) {
    lines.push(
      '',
      'The packages Swirl\'s own files load by the time `swirl serve` (gRPC on) is ready (`--modules`: found with a resolve hook',
      'in one more start), each with the CPU of a fresh `node` that imports only it, minus one that imports nothing (median of 3;',
      'shared dependencies count in each package that pulls them in):',
      '',
      '| package | import CPU (ms) |',
      '|---|---:|',
      ...modules.map(([k, ms]) => `| ${k} | ${ms.toFixed(0)} |`),
    );
  }
  const section = lines.join('\n');
  process.stdout.write(section + '\n');
  if (WRITE) {
    const file = join(ROOT, 'bench', 'README.md');
    const text = readFileSync(file, 'utf8');
    const block = `<!-- startup:start -->\n${section}\n<!-- startup:end -->`;
    const re = /<!-- startup:start -->[\s\S]*<!-- startup:end -->/;
    writeFileSync(file, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}\n`);
  }
}

await main();
