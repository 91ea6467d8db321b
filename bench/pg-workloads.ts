/**
 * @module bench/pg-workloads
 * The workloads of bench/engine-chain-pg.ts, registered the same way on the driver (so that its
 * client accepts the name) and on every node process (bench/pg-node.ts): `chain`, the 3-step
 * activity chain as a code orchestration, and `sw5`, a Serverless Workflow 0.8 of 5 operation
 * states, each one `activity:` action (specs/custom-operations.md) whose result becomes the state
 * data — 5 durable steps through the interpreter; `chain8k`, the chain with an 8 KiB input (what a
 * claim without payload omission drags along every step).
 */

import type { Engine } from '../src/engine/engine.js';
import { registerChain } from './engine-common.js';
import { initExpressions } from '../src/expressions/index.js';
import { loadWorkflowText } from '../src/graph/load.js';
import { registerWorkflow } from '../src/interpreter/index.js';

export type WorkloadKind = 'chain' | 'sw5' | 'chain8k';

/** The input padding of `chain8k` (bytes): what every claim and turn would carry without payload omission. */
const PAD_BYTES = 8192;

export interface Workload {
  /** The orchestration name to start. */
  name: string;
  /** Durable steps (activity round trips) per workflow. */
  steps: number;
  input(i: number): unknown;
  /** Whether `output` is the right result for input `i`. */
  check(output: unknown, i: number): boolean;
}

const SW5_STATES = 5;

/** The 5-state workflow: S1 … S5, each `{ v } -> { v: v + 1 }` through the activity `incv`. */
const SW5 = {
  id: 'sw5',
  specVersion: '0.8',
  start: 'S1',
  functions: [{ name: 'incv', type: 'custom', operation: 'activity:incv' }],
  states: Array.from({ length: SW5_STATES }, (_, k) => ({
    name: `S${k + 1}`,
    type: 'operation',
    actions: [{ functionRef: { refName: 'incv', arguments: { v: '${ .v }' } }, actionDataFilter: { toStateData: '${ .v }' } }],
    ...(k + 1 < SW5_STATES ? { transition: `S${k + 2}` } : { end: true }),
  })),
};

/** Registers `kind` (orchestration and activities) on `engine`. */
export async function registerWorkload(engine: Engine, kind: WorkloadKind): Promise<Workload> {
  switch (kind) {
    case 'chain':
      registerChain(engine);
      return { name: 'chain', steps: 3, input: (i) => i, check: (o, i) => o === i + 3 };
    case 'sw5': {
      await initExpressions();
      engine.registerActivity('incv', async (a: { v: number }) => a.v + 1);
      const name = registerWorkflow(engine, await loadWorkflowText(JSON.stringify(SW5)));
      return { name, steps: SW5_STATES, input: (i) => ({ v: i }), check: (o, i) => (o as { v?: number } | null)?.v === i + SW5_STATES };
    }
    case 'chain8k': {
      engine.registerActivity('inc', async (x: number) => x + 1);
      engine.registerOrchestration('chain8k', function* (ctx, input: { v: number; pad: string }) {
        let v = input.v;
        for (let i = 0; i < 3; i++) v = (yield ctx.callActivity('inc', v)) as number;
        return v;
      });
      return { name: 'chain8k', steps: 3, input: (i) => ({ v: i, pad: 'x'.repeat(PAD_BYTES) }), check: (o, i) => o === i + 3 };
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown workload ${String(never)}`);
    }
  }
}
