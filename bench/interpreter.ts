/**
 * @module bench/interpreter
 * Interpreter speed: a workflow with a data switch, state/action filters and 5 expression functions
 * per loop. Reports states/s (a) inside one long instance (one orchestration turn: interpreter and
 * jq cost only) and (b) across many short instances on the memory store, 50 at a time (engine
 * overhead included).
 *
 * Baselines measured in the same run: (a) the same computation hand-written in JS on plain objects
 * (what the workflow does, without interpreting it), (b) the same loop as a TypeScript code
 * orchestration on the same engine and store (what the Serverless Workflow layer adds).
 *
 * Run: `npx tsx bench/interpreter.ts [loops=2000] [instances=500] [--write]` (`--write` updates the
 * Interpreter section of bench/README.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { createEngine } from '../src/engine/engine.js';
import { initExpressions } from '../src/expressions/index.js';
import { loadWorkflowText } from '../src/graph/load.js';
import { registerWorkflow } from '../src/interpreter/index.js';

const LOOPS = Number(process.argv[2] ?? 2000);
const INSTANCES = Number(process.argv[3] ?? 500);
/** States executed per loop: Calc (operation) + Check (switch). */
const STATES_PER_LOOP = 2;

const definition = {
  id: 'bench',
  specVersion: '0.8',
  functions: [
    { name: 'inc', type: 'expression', operation: '.i + 1' },
    { name: 'double', type: 'expression', operation: '.i * 2' },
    { name: 'label', type: 'expression', operation: '"item-" + (.i | tostring)' },
    { name: 'sum', type: 'expression', operation: '[.values[]?] | add // 0' },
    { name: 'flag', type: 'expression', operation: '(.i % 2) == 0' },
  ],
  states: [
    { name: 'Init', type: 'inject', data: { i: 0, values: [1, 2, 3] }, transition: 'Calc' },
    {
      name: 'Calc',
      type: 'operation',
      stateDataFilter: { input: '${ . }', output: '${ del(.tmp) }' },
      actions: [
        { functionRef: 'inc', actionDataFilter: { toStateData: '${ .i }' } },
        { functionRef: 'double', actionDataFilter: { toStateData: '${ .tmp.doubled }' } },
        { functionRef: 'label', actionDataFilter: { toStateData: '${ .label }' } },
        { functionRef: 'sum', actionDataFilter: { fromStateData: '${ {values} }', toStateData: '${ .sum }' } },
        { functionRef: 'flag', actionDataFilter: { toStateData: '${ .even }' } },
      ],
      transition: 'Check',
    },
    { name: 'Check', type: 'switch', dataConditions: [{ condition: '${ .i < $CONST.loops }', transition: 'Calc' }], defaultCondition: { end: true } },
  ],
};

/** Baseline (a): one loop of the workflow, hand-written (same data, same result). */
function handLoop(d: { i: number; values: number[]; label?: string; sum?: number; even?: boolean }, loops: number): unknown {
  let data = { ...d };
  while (true) {
    const i = data.i + 1;
    const doubled = i * 2; // written to .tmp.doubled, then removed by the output filter
    void doubled;
    data = { ...data, i, label: `item-${i}`, sum: data.values.reduce((a, b) => a + b, 0), even: i % 2 === 0 };
    if (!(data.i < loops)) return data;
  }
}

/** Baseline (b): the same loop as a code orchestration (one turn per instance, like the workflow). */
function codeWorkflow(_ctx: unknown, input: { loops: number }): unknown {
  return handLoop({ i: 0, values: [1, 2, 3] }, input.loops);
}

async function main(): Promise<void> {
  await initExpressions();
  const graphFor = (loops: number) => loadWorkflowText(JSON.stringify({ ...definition, id: `bench-${loops}`, constants: { loops } }));

  // (a) one long instance: every state in one turn.
  const long = await createEngine({ store: 'memory' });
  const longName = registerWorkflow(long, await graphFor(LOOPS));
  await long.start();
  const warm = await long.client.start(longName, {});
  await long.client.waitForCompletion(warm, { timeoutMs: 120_000 });
  const t0 = performance.now();
  const id = await long.client.start(longName, {});
  const r = await long.client.waitForCompletion(id, { timeoutMs: 120_000 });
  const ms = performance.now() - t0;
  if (r.runtimeStatus !== 'COMPLETED') throw new Error(`bench instance ${r.runtimeStatus}: ${r.failure?.message}`);
  const states = LOOPS * STATES_PER_LOOP + 1;
  await long.stop();

  // Baseline (a): the same computation, hand-written, repeated until ~the same loop count ran.
  // Both must compute the same thing, or the ratio means nothing.
  const expected = handLoop({ i: 0, values: [1, 2, 3] }, LOOPS);
  if (!isDeepStrictEqual(r.output, expected)) throw new Error(`baseline differs: ${JSON.stringify(expected)} vs ${JSON.stringify(r.output)}`);
  const reps = 50;
  const t2 = performance.now();
  for (let k = 0; k < reps; k++) handLoop({ i: 0, values: [1, 2, 3] }, LOOPS);
  const handMsPerState = (performance.now() - t2) / reps / states;

  // (b) many short instances (10 loops each), 50 in flight: the workflow vs the code orchestration.
  const many = async (register: (e: Awaited<ReturnType<typeof createEngine>>) => Promise<string>, input: unknown): Promise<number> => {
    const short = await createEngine({ store: 'memory' });
    const shortName = await register(short);
    await short.start();
    const t1 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < INSTANCES) {
        next += 1;
        const sid = await short.client.start(shortName, input);
        const sr = await short.client.waitForCompletion(sid, { timeoutMs: 60_000 });
        if (sr.runtimeStatus !== 'COMPLETED') throw new Error(sr.failure?.message);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    const elapsed = performance.now() - t1;
    await short.stop();
    return elapsed;
  };
  const ms2 = await many(async (e) => registerWorkflow(e, await graphFor(10)), {});
  const msCode = await many(async (e) => {
    e.registerOrchestration('code-loop', codeWorkflow as never);
    return 'code-loop';
  }, { loops: 10 });
  const shortStates = INSTANCES * (10 * STATES_PER_LOOP + 1);

  const usPerState = (ms * 1000) / states;
  const lines = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}. Command: \`npx tsx bench/interpreter.ts ${LOOPS} ${INSTANCES} --write\`.`,
    'Workflow: a data switch, state and action filters and 5 expression functions per loop (`bench/interpreter.ts`).',
    '',
    '| measurement | Swirl interpreter | baseline (same run) | ratio |',
    '|---|---:|---:|---:|',
    `| one instance, ${states} states in one turn: µs per state | ${usPerState.toFixed(1)} (${Math.round(1e6 / usPerState)} states/s) | hand-written JS doing the same work: ${(handMsPerState * 1000).toFixed(3)} | ×${(usPerState / (handMsPerState * 1000)).toFixed(0)} |`,
    `| ${INSTANCES} instances × ${10 * STATES_PER_LOOP + 1} states, 50 in flight, memory store: instances/s | ${Math.round((INSTANCES / ms2) * 1000)} (${Math.round((shortStates / ms2) * 1000)} states/s) | the same loop as a code orchestration: ${Math.round((INSTANCES / msCode) * 1000)} | ×${(ms2 / msCode).toFixed(2)} the time |`,
    '',
    'The first row is the cost of interpreting (jq filters and conditions, merges, the state walk) against',
    'the plain computation; the second what the Serverless Workflow layer adds on top of the engine.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (process.argv.includes('--write')) {
    const readme = new URL('./README.md', import.meta.url);
    const text = readFileSync(readme, 'utf8');
    const section = ['<!-- interpreter:start -->', '## Interpreter', '', ...lines, '<!-- interpreter:end -->'].join('\n');
    const re = /<!-- interpreter:start -->[\s\S]*<!-- interpreter:end -->/;
    writeFileSync(readme, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
  }
}

await main();
