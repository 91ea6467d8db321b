/**
 * @module bench/recovery
 * Issue 12's recovery goal: `swirl serve` (built: bin/swirl on dist/, SQLite file store, default
 * options — gRPC on, 30 s leases, the default worker id) with TOTAL Serverless Workflow instances
 * in flight is killed with SIGKILL and restarted at once on the same store. In flight at the kill:
 *  - `slow`: SLOW instances whose first `invoke:` call is held open by the app (mid-activity; the
 *    app answers the re-execution at once);
 *  - `sleep`: instances in (or just past) a 1 s `sleep` state, then one call;
 *  - `chain`: instances running three `invoke:` calls in a row (runnable, mid-chain or queued).
 * Measured: time from spawn to the listening line (ready), the server's CPU at ready, time until
 * every instance is COMPLETED (counts by status, `GET /api/v1/workflows/recover/counts`, polled
 * every 50 ms), and the checks: each instance COMPLETED once with the output of every step, every
 * expected call executed, at most one re-execution per call, and a re-execution only for calls
 * that were in flight at the kill (held by the app; or answered but not yet recorded — counted).
 *
 * Run: `npm run build && npx tsx bench/recovery.ts [instances=2000] [repetitions=3] [downMs=0] [--before <checkout>]`
 * (`--before`: a checkout with its own build, e.g. the code before a change; its server is
 * restarted in the same repetitions, on stores of its own, and compared as a ratio).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { closedLoop, fmt, median, tempDir } from './engine-common.js';
import { judgeExecutions, kindOf as kindIn, slowCount, startCountingApp, stepsOf } from './recovery-workload.js';
import { cpuMsOf, dispatcher, getOverHttp, spawnServe, startOverHttp, stopServe, writeServeDir, type ServeChild } from './serve-http.js';

const beforeAt = process.argv.indexOf('--before');
/** `--before <checkout>`: each repetition also restarts with that checkout's build (the code before a change). */
const BEFORE = beforeAt > 0 ? process.argv[beforeAt + 1] : undefined;
const positional = process.argv.slice(2).filter((_, i, all) => all[i] !== '--before' && all[i - 1] !== '--before');
const TOTAL = Number(positional[0] ?? 2000);
const REPETITIONS = Number(positional[1] ?? 3);
const DOWN_MS = Number(positional[2] ?? 0);
const SLOW = slowCount(TOTAL);
const kindOf = (i: number) => kindIn(i, TOTAL);

const step = (k: number, next: string): string => `  - name: Step${k}
    type: operation
    actions:
      - functionRef: { refName: work, arguments: { k: '\${ .k }', kind: '\${ .kind }', step: ${k} } }
    ${next}`;
const WORKFLOW = `id: recover
specVersion: '0.8'
functions:
  - name: work
    type: custom
    operation: invoke:noop/work
    metadata: { httpVerb: POST }
states:
  - name: Route
    type: switch
    dataConditions:
      - condition: '\${ .kind == "sleep" }'
        transition: Nap
    defaultCondition: { transition: Step1 }
  - name: Nap
    type: sleep
    duration: PT1S
    transition: Step3
${step(1, 'transition: Step2')}
${step(2, 'transition: Step3')}
${step(3, 'end: true')}
`;

const app = await startCountingApp();
const { executions, held } = app;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function counts(base: string): Promise<Record<string, number>> {
  const res = await request(`${base}/api/v1/workflows/recover/counts`, { dispatcher });
  return ((await res.body.json()) as { counts: Record<string, number> }).counts;
}

async function until(what: string, ms: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The calls the killed process had sent, other than the held ones: read once the requests still in
 * the sockets when it died have reached the app (100 ms after its exit, before the restart).
 */
async function callsSentBeforeDeath(heldAtKill: Set<string>): Promise<Set<string>> {
  await new Promise((done) => setTimeout(done, 100));
  return new Set([...executions.keys()].filter((k) => !heldAtKill.has(k)));
}

interface Rep {
  /** The first start, on the new (empty) store: the baseline for ready. */
  freshReadyMs: number;
  freshCpuAtReadyMs: number;
  atKill: Record<string, number>;
  heldAtKill: number;
  readyMs: number;
  cpuAtReadyMs: number;
  doneMs: number;
  doneAfterReadyMs: number;
  /** spawn → 90 % COMPLETED (serve only). */
  ninetyMs: number;
  cpuUntilDoneMs: number;
  reExecutedHeld: number;
  reExecutedAnswered: number;
  problems: string[];
}

async function repetition(r: number, checkout?: string): Promise<Rep> {
  executions.clear();
  const tmp = tempDir(`swirl-bench-recovery-${r}-`);
  writeServeDir(tmp.dir, { recover: WORKFLOW }, app.port);
  const options = { store: `sqlite:${join(tmp.dir, 'recover.db')}`, grpcPort: await freePort(), launcher: 'dist' as const, ...(checkout !== undefined ? { checkout } : {}) };
  let first: ServeChild | undefined;
  let second: ServeChild | undefined;
  try {
    const live = await spawnServe(tmp.dir, options);
    first = live;
    const id = (i: number): string => `rec-${r}-${i}`;
    await closedLoop(TOTAL, 50, async (i) => void (await startOverHttp(live.base, 'recover', { k: i, kind: kindOf(i) }, id(i))));
    await until('every slow call held by the app', 30_000, () => held.size === SLOW);
    const atKill = await counts(live.base);
    const heldAtKill = new Set(held.keys());
    const exited = new Promise((done) => live.proc.once('exit', done));
    live.proc.kill('SIGKILL');
    await exited;
    const answeredAtKill = await callsSentBeforeDeath(heldAtKill);
    if (DOWN_MS > 0) await new Promise((done) => setTimeout(done, DOWN_MS));

    second = await spawnServe(tmp.dir, options);
    const spawnedAt = performance.now() - second.readyMs;
    let last: Record<string, number> = {};
    let ninetyMs = NaN;
    await until('every instance COMPLETED', 120_000, async () => {
      last = await counts(second!.base);
      if (Number.isNaN(ninetyMs) && (last.COMPLETED ?? 0) >= 0.9 * TOTAL) ninetyMs = performance.now() - spawnedAt;
      if ((last.FAILED ?? 0) + (last.TERMINATED ?? 0) > 0) throw new Error(`instances ended otherwise: ${JSON.stringify(last)}`);
      return last.COMPLETED === TOTAL;
    });
    const doneMs = performance.now() - spawnedAt;
    const cpuUntilDoneMs = cpuMsOf(second.proc.pid!);

    // Checks: every instance completed once, with every step's output; calls counted by the app.
    const problems: string[] = [];
    const total = Object.values(last).reduce((a, b) => a + b, 0);
    if (total !== TOTAL) problems.push(`${total} instances in the store, ${TOTAL} started`);
    await closedLoop(TOTAL, 20, async (i) => {
      const got = await getOverHttp(second!.base, id(i));
      const out = got.output as Record<string, unknown> | undefined;
      const missing = stepsOf(kindOf(i)).filter((s) => out?.[`s${s}`] === undefined);
      if (got.runtimeStatus !== 'COMPLETED' || out?.k !== i || missing.length > 0) problems.push(`${id(i)}: ${got.runtimeStatus} ${JSON.stringify(out)}`);
    });
    const judged = judgeExecutions(TOTAL, executions, heldAtKill, answeredAtKill);
    problems.push(...judged.problems);
    const { reExecutedHeld, reExecutedAnswered } = judged;
    return { freshReadyMs: live.readyMs, freshCpuAtReadyMs: live.cpuAtReadyMs, atKill, heldAtKill: heldAtKill.size, readyMs: second.readyMs, cpuAtReadyMs: second.cpuAtReadyMs, doneMs, doneAfterReadyMs: doneMs - second.readyMs, ninetyMs, cpuUntilDoneMs, reExecutedHeld, reExecutedAnswered, problems };
  } finally {
    if (first && first.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL');
    if (second) await stopServe(second);
    tmp.remove();
  }
}

/** A bench/recovery-embedded.ts child; resolves at its `ready` line with the time and CPU then. */
async function spawnEmbedded(dbPath: string, mode: 'start' | 'resume'): Promise<{ proc: ChildProcess; readyMs: number; cpuAtReadyMs: number; line: () => Promise<string> }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./recovery-embedded.ts', import.meta.url).pathname, dbPath, String(app.port), mode, String(TOTAL)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  const line = (): Promise<string> => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r)));
  const first = await line();
  if (first !== 'ready') throw new Error(`embedded child said ${first}`);
  return { proc, readyMs: performance.now() - t0, cpuAtReadyMs: cpuMsOf(proc.pid!), line };
}

/** The same kill -9 and restart with an embedded engine process (the mix as code, tsx). */
async function embeddedRepetition(r: number): Promise<Rep> {
  executions.clear();
  const tmp = tempDir(`swirl-bench-recovery-embedded-${r}-`);
  const db = join(tmp.dir, 'recover.db');
  try {
    const first = await spawnEmbedded(db, 'start');
    if ((await first.line()) !== 'started') throw new Error('embedded child did not start its instances');
    await until('every slow call held by the app', 30_000, () => held.size === SLOW);
    const heldAtKill = new Set(held.keys());
    const exited = new Promise((done) => first.proc.once('exit', done));
    first.proc.kill('SIGKILL');
    await exited;
    const answeredAtKill = await callsSentBeforeDeath(heldAtKill);
    if (DOWN_MS > 0) await new Promise((done) => setTimeout(done, DOWN_MS));
    const second = await spawnEmbedded(db, 'resume');
    const spawnedAt = performance.now() - second.readyMs;
    if ((await second.line()) !== 'done') throw new Error('embedded child did not finish');
    const doneMs = performance.now() - spawnedAt;
    const cpuUntilDoneMs = cpuMsOf(second.proc.pid!);
    const problems = JSON.parse(await second.line()) as string[];
    const judged = judgeExecutions(TOTAL, executions, heldAtKill, answeredAtKill);
    problems.push(...judged.problems);
    await new Promise((done) => (second.proc.exitCode !== null ? done(undefined) : second.proc.once('exit', done)));
    return { freshReadyMs: first.readyMs, freshCpuAtReadyMs: first.cpuAtReadyMs, atKill: {}, heldAtKill: heldAtKill.size, readyMs: second.readyMs, cpuAtReadyMs: second.cpuAtReadyMs, doneMs, doneAfterReadyMs: doneMs - second.readyMs, ninetyMs: NaN, cpuUntilDoneMs, reExecutedHeld: judged.reExecutedHeld, reExecutedAnswered: judged.reExecutedAnswered, problems };
  } finally {
    tmp.remove();
  }
}

const reps: Rep[] = [];
const befores: Rep[] = [];
const embeddedReps: Rep[] = [];
for (let r = 0; r < REPETITIONS; r++) {
  if (BEFORE !== undefined) {
    const b = await repetition(r + 1000, BEFORE);
    befores.push(b);
    console.log(`rep ${r + 1} before: fresh store ready ${fmt(b.freshReadyMs, 0)} ms (CPU ${fmt(b.freshCpuAtReadyMs, 0)} ms); restarted: ready ${fmt(b.readyMs, 0)} ms (CPU ${fmt(b.cpuAtReadyMs, 0)} ms), all COMPLETED ${fmt(b.doneMs, 0)} ms after spawn (CPU ${fmt(b.cpuUntilDoneMs, 0)} ms); problems: ${b.problems.length ? b.problems.slice(0, 5).join('; ') : 'none'}`);
  }
  const x = await repetition(r);
  reps.push(x);
  const e = await embeddedRepetition(r);
  embeddedReps.push(e);
  console.log(
    `rep ${r + 1} embedded: fresh store ready ${fmt(e.freshReadyMs, 0)} ms (CPU ${fmt(e.freshCpuAtReadyMs, 0)} ms); restarted: ready ${fmt(e.readyMs, 0)} ms (CPU ${fmt(e.cpuAtReadyMs, 0)} ms), all ${TOTAL} COMPLETED ${fmt(e.doneMs, 0)} ms after spawn (CPU ${fmt(e.cpuUntilDoneMs, 0)} ms); re-executed: ${e.reExecutedHeld} held, ${e.reExecutedAnswered} answered-but-unrecorded; problems: ${e.problems.length ? e.problems.slice(0, 5).join('; ') : 'none'}`,
  );
  console.log(
    `rep ${r + 1}: fresh store ready ${fmt(x.freshReadyMs, 0)} ms (CPU ${fmt(x.freshCpuAtReadyMs, 0)} ms); at the kill ${JSON.stringify(x.atKill)}, ${x.heldAtKill} calls held open; restarted: ready ${fmt(x.readyMs, 0)} ms (CPU ${fmt(x.cpuAtReadyMs, 0)} ms), 90 % COMPLETED ${fmt(x.ninetyMs, 0)} ms, all ${TOTAL} ${fmt(x.doneMs, 0)} ms after spawn (${fmt(x.doneAfterReadyMs, 0)} ms after ready, CPU ${fmt(x.cpuUntilDoneMs, 0)} ms); re-executed: ${x.reExecutedHeld} held, ${x.reExecutedAnswered} answered-but-unrecorded; problems: ${x.problems.length ? x.problems.slice(0, 5).join('; ') : 'none'}`,
  );
}
await dispatcher.close();
app.close();

const medOf = (rs: Rep[], f: (x: Rep) => number): string => `${fmt(median(rs.map(f)), 0)} [${fmt(Math.min(...rs.map(f)), 0)}–${fmt(Math.max(...rs.map(f)), 0)}]`;
const med = (f: (x: Rep) => number): string => `${medOf(reps, f)} | ${medOf(embeddedReps, f)}`;
console.log(`\n| kill -9 with ${TOTAL} in flight, restart at once (median of ${REPETITIONS} [min–max]) | \`swirl serve\` (Serverless Workflow, bin/swirl) | embedded engine process (code, tsx) | goal |`);
console.log('|---|---:|---:|---:|');
console.log(`| not COMPLETED at the kill | ${medOf(reps, (x) => TOTAL - (x.atKill.COMPLETED ?? 0))} | | |`);
console.log(`| spawn → ready: listening line / engine started (ms) | ${med((x) => x.readyMs)} | ≤ 1000 |`);
console.log(`| the same, first start on the empty store (baseline) | ${med((x) => x.freshReadyMs)} | |`);
console.log(`| process CPU at ready (ms) | ${med((x) => x.cpuAtReadyMs)} | |`);
console.log(`| the same, first start on the empty store (baseline) | ${med((x) => x.freshCpuAtReadyMs)} | |`);
console.log(`| spawn → all COMPLETED (ms) | ${med((x) => x.doneMs)} | ≤ 2000 |`);
console.log(`| spawn → 90 % COMPLETED (ms) | ${medOf(reps, (x) => x.ninetyMs)} | | |`);
console.log(`| ready → all COMPLETED (ms) | ${med((x) => x.doneAfterReadyMs)} | |`);
console.log(`| process CPU spawn → all COMPLETED (ms) | ${med((x) => x.cpuUntilDoneMs)} | |`);
const reExec = (rs: Rep[]): string => `${medOf(rs, (x) => x.reExecutedHeld)} / ${medOf(rs, (x) => x.reExecutedAnswered)}`;
console.log(`| calls re-executed: held open at the kill / answered but not recorded | ${reExec(reps)} | ${reExec(embeddedReps)} | ≤ 1 each, only in-flight |`);
console.log(`| problems (lost, duplicated, wrong output) | ${reps.reduce((a, x) => a + x.problems.length, 0)} | ${embeddedReps.reduce((a, x) => a + x.problems.length, 0)} | 0 |`);
if (BEFORE !== undefined) {
  const ratio = (f: (x: Rep) => number): string => {
    const xs = reps.map((x, i) => f(x) / f(befores[i]!));
    return `**${fmt(median(xs), 2)}×** [${xs.map((x) => fmt(x, 2)).join(', ')}]`;
  };
  const medB = (f: (x: Rep) => number): string => fmt(median(befores.map(f)), 0);
  console.log(`\n| restarted after kill -9, this build vs ${BEFORE} (median of ${REPETITIONS}) | before | after | after / before, per repetition |`);
  console.log('|---|---:|---:|---:|');
  console.log(`| spawn → listening line (ms) | ${medB((x) => x.readyMs)} | ${fmt(median(reps.map((x) => x.readyMs)), 0)} | ${ratio((x) => x.readyMs)} |`);
  console.log(`| server CPU at ready (ms) | ${medB((x) => x.cpuAtReadyMs)} | ${fmt(median(reps.map((x) => x.cpuAtReadyMs)), 0)} | ${ratio((x) => x.cpuAtReadyMs)} |`);
  console.log(`| server CPU at ready − the same build's start on an empty store (ms) | ${medB((x) => x.cpuAtReadyMs - x.freshCpuAtReadyMs)} | ${fmt(median(reps.map((x) => x.cpuAtReadyMs - x.freshCpuAtReadyMs)), 0)} | |`);
  console.log(`| spawn → all COMPLETED (ms) | ${medB((x) => x.doneMs)} | ${fmt(median(reps.map((x) => x.doneMs)), 0)} | ${ratio((x) => x.doneMs)} |`);
  console.log(`| server CPU spawn → all COMPLETED (ms) | ${medB((x) => x.cpuUntilDoneMs)} | ${fmt(median(reps.map((x) => x.cpuUntilDoneMs)), 0)} | ${ratio((x) => x.cpuUntilDoneMs)} |`);
  console.log(`| problems (before) | ${befores.reduce((a, x) => a + x.problems.length, 0)} | | |`);
}
