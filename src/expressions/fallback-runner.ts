/**
 * @module expressions/fallback-runner
 * Runs one jq-wasm evaluation (or one regex search whose backtracking could explode, see
 * expressions/regex) synchronously but bounded in time: the work runs in a worker
 * thread while the calling thread waits on a shared word (Atomics.wait) for at most the limit. An
 * overrun terminates the worker (a runaway jq program cannot be interrupted any other way) and a
 * fresh one starts in the background. Starting a worker (loading jq-wasm there) is not counted
 * against an evaluation's time.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** What jq-wasm's `raw` returned, or the message of a wasm trap. */
export type RawAnswer = { stdout: string; stderr: string; exitCode: number } | { trap: string };

/** One regex match: the matched text and groups (undefined when a group did not take part), and where. */
export interface RegexMatch {
  readonly index: number;
  readonly groups: readonly (string | undefined)[];
  /** Where each group starts (UTF-16 index; -1 when it did not take part). */
  readonly starts: readonly number[];
}

interface Runner {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** [0]: the answer is posted; [1]: the worker has loaded jq-wasm. */
  readonly signal: Int32Array;
}

/**
 * The worker's program: load jq-wasm (by the URL this module resolves, so it is the same copy),
 * set signal[1] once ready, then answer each request on the port and set signal[0]. It is plain JS
 * evaluated by the Worker (`eval: true`), so it runs the same under the build and under tsx.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, jqUrl } = workerData;
import(jqUrl).then(async ({ loadJq }) => {
  const jq = await loadJq();
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 1);
  port.on('message', (req) => {
    let answer;
    try {
      answer = req.kind === 'regex' ? searchAll(req) : jq.raw(req.text, req.program, req.flags);
    } catch (err) {
      answer = { trap: String(err && err.message || err) };
    }
    port.postMessage(answer);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});
// The same search loop as expressions/regex (searchHere): every match, empty ones stepping one code point.
function searchAll({ source, flags, subject, all, max }) {
  const re = new RegExp(source, flags);
  const out = [];
  re.lastIndex = 0;
  while (out.length <= max) {
    const m = re.exec(subject);
    if (!m) break;
    if (m[0] === '') re.lastIndex = m.index + (subject.codePointAt(m.index) > 0xffff ? 2 : 1);
    out.push({ index: m.index, groups: Array.from(m), starts: m.indices.map((at) => (at ? at[0] : -1)) });
    if (!all || m.index >= subject.length) break;
  }
  return { matches: out };
}
`;

/** How long a new worker may take to load jq-wasm before evaluations give up on it. */
const STARTUP_MS = 30_000;

let runner: Runner | undefined;

function spawn(): Runner {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, signal, jqUrl: import.meta.resolve('jq-wasm') }, transferList: [port2] });
  // Neither keeps the process alive: evaluations are synchronous, nothing waits on them.
  worker.unref();
  port1.unref();
  worker.on('error', () => {
    if (runner?.worker === worker) runner = undefined;
  });
  return { worker, port: port1, signal };
}

/** Starts the worker ahead of the first evaluation (called when the fallback loads). */
export function startFallbackWorker(): void {
  runner ??= spawn();
}

/**
 * Runs `raw(text, program, flags)` on jq-wasm in the worker; `'timeout'` when it ran longer than
 * `timeoutMs` (the worker is then replaced) or the worker could not start.
 */
export function rawBounded(text: string, program: string, flags: string[], timeoutMs: number): RawAnswer | 'timeout' {
  return call({ kind: 'jq', text, program, flags }, timeoutMs) as RawAnswer | 'timeout';
}

/**
 * Every match of the JS regex `source`/`flags` (which must include `g` and `d`) in `subject` (only the
 * first unless `all`; at most `max + 1`), searched in the worker; `'timeout'` past `timeoutMs`.
 */
export function regexBounded(source: string, flags: string, subject: string, all: boolean, max: number, timeoutMs: number): RegexMatch[] | { trap: string } | 'timeout' {
  const answer = call({ kind: 'regex', source, flags, subject, all, max }, timeoutMs);
  if (answer === 'timeout' || 'trap' in answer) return answer;
  return (answer as { matches: RegexMatch[] }).matches;
}

function call(request: Record<string, unknown>, timeoutMs: number): RawAnswer | { matches: RegexMatch[] } | 'timeout' {
  const r = (runner ??= spawn());
  if (Atomics.load(r.signal, 1) === 0 && Atomics.wait(r.signal, 1, 0, STARTUP_MS) === 'timed-out') {
    replace(r);
    return 'timeout';
  }
  Atomics.store(r.signal, 0, 0);
  r.port.postMessage(request);
  if (Atomics.wait(r.signal, 0, 0, timeoutMs) === 'timed-out') {
    replace(r);
    return 'timeout';
  }
  const answer = receiveMessageOnPort(r.port);
  if (!answer) {
    replace(r);
    return { trap: 'the jq-wasm worker answered nothing' };
  }
  const out = answer.message as RawAnswer | { matches: RegexMatch[] };
  // A trap leaves that jq-wasm instance unusable: start over with a fresh worker.
  if ('trap' in out) replace(r);
  return out;
}

function replace(r: Runner): void {
  void r.worker.terminate();
  r.port.close();
  if (runner === r) runner = spawn();
}
