/**
 * @module bench/grpc-chain-app
 * The SDK code of bench/grpc-chain.ts: the 3-step chain as a @dapr/dapr 3.18 app (an orchestrator
 * calling the `inc` activity three times), what a user writes; used in the bench process and in
 * its app child processes (bench/grpc-lean-worker.ts `dapr`).
 */
import { WorkflowRuntime, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';

export const inc = async (_ctx: WorkflowActivityContext, x: number): Promise<number> => x + 1;

export const chain = async function* (ctx: WorkflowContext, x: number): any {
  let v = x;
  for (let i = 0; i < 3; i++) v = yield ctx.callActivity(inc, v);
  return v;
};

/** A WorkflowRuntime serving the chain, for the sidecar at 127.0.0.1:`port` (not started). */
export function chainRuntime(port: number): WorkflowRuntime {
  return new WorkflowRuntime({ daprHost: '127.0.0.1', daprPort: String(port) }).registerWorkflow(chain).registerActivity(inc);
}
