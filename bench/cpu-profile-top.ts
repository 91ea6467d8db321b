/**
 * @module bench/cpu-profile-top
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and prints where the time went in its last `window`
 * seconds (the measured load, after start-up): self time by area of the code (HTTP adapter,
 * sockets, store, engine, interpreter…) and the top functions, each also as µs per workflow when
 * the number of workflows run in that window is given.
 *
 * Run: `npx tsx bench/cpu-profile-top.ts <file.cpuprofile> <windowSeconds> [workflows]`
 */

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, windowArg, workflowsArg] = process.argv.slice(2);
if (!file || !windowArg) {
  console.error('usage: npx tsx bench/cpu-profile-top.ts <file.cpuprofile> <windowSeconds> [workflows]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const windowUs = Number(windowArg) * 1e6;
const workflows = workflowsArg !== undefined ? Number(workflowsArg) : undefined;

/** The area of the code a frame belongs to, by its script URL (first match wins). */
const AREAS: [string, RegExp][] = [
  ['idle', /^\(idle\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['HTTP adapter (src/api: node:http ⇄ web Request/Response)', /\/src\/api\//],
  ['web Request/Response/Headers (Node built-in undici)', /node:internal\/deps\/undici|internal\/webstreams|internal\/deps\/.*fetch/],
  ['outbound calls (undici package: invoke:)', /node_modules\/undici\//],
  ['HTTP server + sockets (node:http, net, streams)', /node:_http|node:http|node:net|node:internal\/(http|net|stream|streams)|node:stream|node:internal\/js_stream/],
  ['store (src/store, better-sqlite3)', /\/src\/store\/|better-sqlite3/],
  ['engine (src/engine)', /\/src\/engine\//],
  ['interpreter + jq (src/interpreter, src/expressions, src/graph)', /\/src\/(interpreter|expressions|graph)\//],
  ['components (src/components)', /\/src\/components\//],
  ['host (src/host)', /\/src\/host\//],
  ['JSON, timers, promises, other node internals', /^node:/],
  ['other dependencies', /node_modules/],
];

function areaOf(n: ProfileNode): string {
  const key = n.callFrame.url === '' ? n.callFrame.functionName : n.callFrame.url;
  for (const [name, re] of AREAS) if (re.test(key)) return name;
  // No script: a native function (writev, fdatasync, (program): V8/libuv work outside JS).
  return n.callFrame.url === '' ? 'native (writev, fdatasync, (program), microtask runs)' : 'other';
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Sample times: timeDeltas[i] is the time from sample i-1 to sample i (µs).
const times: number[] = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d));
const from = times[times.length - 1]! - windowUs;
const selfUs = new Map<number, number>();
for (let i = 1; i < profile.samples.length; i++) {
  if (times[i]! < from) continue;
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (times[i]! - times[i - 1]!));
}

const areas = new Map<string, number>();
const fns = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const area = areaOf(n);
  areas.set(area, (areas.get(area) ?? 0) + us);
  if (area === 'idle') continue;
  total += us;
  const where = n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/');
  const name = `${n.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  fns.set(name, (fns.get(name) ?? 0) + us);
}

const perWf = (us: number): string => (workflows ? `${(us / workflows).toFixed(0)} µs/wf` : '');
console.log(`busy ${(total / 1000).toFixed(0)} ms in the last ${windowArg} s${workflows ? ` (${workflows} workflows: ${(total / 1000 / workflows).toFixed(2)} ms/wf)` : ''}\n`);
console.log('| area | share of busy time | per workflow |');
console.log('|---|---:|---:|');
for (const [name, us] of [...areas].filter(([a]) => a !== 'idle').sort((a, b) => b[1] - a[1])) {
  console.log(`| ${name} | ${((100 * us) / total).toFixed(1)} % | ${perWf(us)} |`);
}
console.log('\ntop functions by self time:');
for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${perWf(us).padStart(10)}  ${name}`);
}
