/**
 * @module bench/interpreter
 * Interpreter speed: a workflow with a data switch, state/action filters and 5 expression functions
 * per loop. Reports states/s (a) inside one long instance (one orchestration turn: interpreter and
 * jq cost only) and (b) across many short instances on the memory store, 50 at a time (engine
 * overhead included).
 *
 * Run: `npx tsx bench/interpreter.ts [loops=2000] [instances=500]`
 */
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

  // (b) many short instances (10 loops each), 50 in flight.
  const short = await createEngine({ store: 'memory' });
  const shortName = registerWorkflow(short, await graphFor(10));
  await short.start();
  const t1 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < INSTANCES) {
      next += 1;
      const sid = await short.client.start(shortName, {});
      const sr = await short.client.waitForCompletion(sid, { timeoutMs: 60_000 });
      if (sr.runtimeStatus !== 'COMPLETED') throw new Error(sr.failure?.message);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  const ms2 = performance.now() - t1;
  await short.stop();
  const shortStates = INSTANCES * (10 * STATES_PER_LOOP + 1);

  process.stdout.write(
    [
      `interpreter bench (switch + filters + 5 expression functions per loop)`,
      `  one instance, ${states} states in ${ms.toFixed(0)} ms: ${Math.round((states / ms) * 1000)} states/s (${((ms * 1000) / states).toFixed(1)} µs/state)`,
      `  ${INSTANCES} instances x ${10 * STATES_PER_LOOP + 1} states, 50 in flight (memory store): ${Math.round((shortStates / ms2) * 1000)} states/s, ${Math.round((INSTANCES / ms2) * 1000)} instances/s`,
    ].join('\n') + '\n',
  );
}

await main();
