/**
 * @module bench/startup
 * Start-up cost of `swirl serve` (issue 12: ready ≤ 0.5 s of CPU): CPU time (user + system, all
 * threads, from /proc/<pid>/stat) and wall time of the child process at the moment it is ready —
 * its "swirl serve listening on" line, printed once HTTP and gRPC both listen — against a bare
 * `node -e` node:http server that prints its listening line, measured in the same run, alternating.
 * After each ready line the bench also waits for `GET /healthz` to answer 200 (wall time to first
 * answer), then stops the child with SIGTERM.
 *
 * `--modules` adds a V8 CPU profile of one extra `swirl serve` start (`--cpu-prof`): self time per
 * package (node_modules/<pkg>, or dist/<layer> for Swirl itself), which is where start-up CPU goes.
 *
 * Run (the tsc build is what users start): `npm run build && npx tsx bench/startup.ts [reps=7] [--modules] [--write]`.
 * `--write` replaces the startup section of bench/README.md.
 */

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, tempDir } from './engine-common.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const REPS = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
const MODULES = args.includes('--modules');
const WRITE = args.includes('--write');
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

function serveArgv(dir: string, store: string, extra: string[] = []): string[] {
  return [
    ...extra,
    join(ROOT, 'bin', 'swirl'),
    'serve',
    '--port', '0',
    '--grpc-port', String(20000 + Math.floor(Math.random() * 20000)),
    '--store', `sqlite:${join(dir, store)}`,
    '--log-level', 'warn',
  ];
}
const SERVE_READY = /swirl serve listening on https?:\/\/[^:]+:(\d+)/;

/** Self time per package from a .cpuprofile, in ms, largest first. */
function modulesOf(profileFile: string): Array<[string, number]> {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const urlOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame.url || `(${n.callFrame.functionName || 'anonymous'})`]));
  const byPackage = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const url = urlOf.get(id) ?? '';
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const own = /\/dist\/([^/]+)/.exec(url);
    const key = nm ? nm[1] : own ? `swirl dist/${own[1]}` : url.startsWith('node:') ? 'node: built-ins' : url;
    byPackage.set(key, (byPackage.get(key) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const tmp = tempDir('swirl-bench-startup-');
  const serve: Sample[] = [];
  const bare: Sample[] = [];
  try {
    await startOnce(BARE, /listening on (\d+)/, tmp.dir); // warm the page cache for node itself
    await startOnce(serveArgv(tmp.dir, 'warm.db'), SERVE_READY, tmp.dir);
    for (let i = 0; i < REPS; i++) {
      bare.push(await startOnce(BARE, /listening on (\d+)/, tmp.dir));
      serve.push(await startOnce(serveArgv(tmp.dir, `rep${i}.db`), SERVE_READY, tmp.dir));
    }
    let modules: Array<[string, number]> = [];
    if (MODULES) {
      const profDir = join(tmp.dir, 'prof');
      await startOnce(serveArgv(tmp.dir, 'prof.db', ['--cpu-prof', '--cpu-prof-dir', profDir]), SERVE_READY, tmp.dir);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) modules = modulesOf(join(profDir, file));
    }
    report(serve, bare, modules);
  } finally {
    tmp.remove();
  }
}

function report(serve: Sample[], bare: Sample[], modules: Array<[string, number]>): void {
  const pick = (s: Sample[], k: keyof Sample) => median(s.map((x) => x[k]));
  const row = (label: string, k: keyof Sample) => {
    const a = pick(serve, k);
    const b = pick(bare, k);
    return `| ${label} | ${a.toFixed(0)} | ${b.toFixed(0)} | ×${(a / b).toFixed(1)} |`;
  };
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    '## Start-up of `swirl serve` (issue 12)',
    '',
    `Run ${when} UTC, Node ${process.version}, the tsc build in dist/. Command: \`npm run build && npx tsx bench/startup.ts ${REPS}${MODULES ? ' --modules' : ''} --write\`.`,
    `Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on a shared 2-vCPU VM. Median of ${REPS} starts each, alternating;`,
    '`swirl serve --port 0 --grpc-port <free>` on a new SQLite file store, no workflows, no components (HTTP and gRPC on,',
    'tracing off). Ready = its "swirl serve listening on" line (printed once HTTP and gRPC both listen); CPU = user + system',
    'of the child at that moment, all threads, from /proc/<pid>/stat (10 ms ticks). Baseline: a bare `node -e` node:http server.',
    '',
    '| at ready | `swirl serve` | bare node:http | ratio |',
    '|---|---:|---:|---:|',
    row('CPU (ms)', 'cpuMs'),
    row('wall time to the listening line (ms)', 'wallMs'),
    row('wall time to the first `GET /healthz` 200 (ms)', 'healthzMs'),
    '',
    `Goal (issue 12): ready ≤ 500 ms of CPU → ${pick(serve, 'cpuMs') <= 500 ? 'met' : 'not met'} (${pick(serve, 'cpuMs').toFixed(0)} ms).`,
  ];
  if (modules.length > 0) {
    const total = modules.reduce((s, [, ms]) => s + ms, 0);
    lines.push(
      '',
      `Where the CPU of one start goes (V8 CPU profile of one more start, \`--modules\`; self time per package, ${total.toFixed(0)} ms sampled`,
      'in all, the top 15; "(program)"/"(garbage collector)" are V8 itself, compiling and collecting):',
      '',
      '| package | self ms |',
      '|---|---:|',
      ...modules.slice(0, 15).map(([k, ms]) => `| ${k} | ${ms.toFixed(1)} |`),
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
