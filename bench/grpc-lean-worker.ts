/**
 * @module bench/grpc-lean-worker
 * A "lean protocol worker" for bench/grpc-chain.ts: the 3-step chain's orchestrator and its `inc`
 * activity written directly against the Durable Task gRPC protocol with @grpc/grpc-js and the same
 * proto descriptors Swirl serves (proto/descriptors/taskhub.json) — no SDK, no replay. It opens
 * GetWorkItems, answers each orchestrator work item with the next action decided from its
 * newEvents alone (ExecutionStarted → ScheduleTask 1; TaskCompleted k → ScheduleTask k+1, or
 * CompleteOrchestration after the third), and each activity work item with its input + 1. So the
 * app costs about nothing but decoding the work items (protobufjs) and the unary answers: what
 * the sidecar sustains when the app is not the bottleneck.
 *
 * Also the child-process entry of the bench's app processes:
 * `node --import tsx bench/grpc-lean-worker.ts <lean|dapr> <grpcPort>` runs a lean worker or a
 * @dapr/dapr 3.18 WorkflowRuntime with the chain until SIGTERM, and prints "ready" when connected.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { credentials, loadPackageDefinition, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, TASKHUB_DESCRIPTOR } from '../src/grpc/proto.js';

/** The chain's length (activities per workflow), as bench/grpc-chain.ts's `chain`. */
const STEPS = 3;

interface ProtoEvent {
  executionStarted?: { input?: { value?: string } };
  taskCompleted?: { taskScheduledId?: number; result?: { value?: string } };
  taskFailed?: { taskScheduledId?: number; failureDetails?: { errorMessage?: string } };
}

type Unary = (req: object, cb: (err: ServiceError | null) => void) => void;

/** The next actions of the chain given one turn's new events. */
function decide(newEvents: readonly ProtoEvent[]): object[] {
  for (const e of newEvents) {
    if (e.executionStarted) return [{ id: 1, scheduleTask: { name: 'inc', input: { value: e.executionStarted.input?.value ?? 'null' } } }];
    if (e.taskCompleted) {
      const k = e.taskCompleted.taskScheduledId ?? 0;
      const result = e.taskCompleted.result?.value ?? 'null';
      if (k < STEPS) return [{ id: k + 1, scheduleTask: { name: 'inc', input: { value: result } } }];
      return [{ id: STEPS + 1, completeOrchestration: { orchestrationStatus: 'ORCHESTRATION_STATUS_COMPLETED', result: { value: result } } }];
    }
    if (e.taskFailed) {
      const message = e.taskFailed.failureDetails?.errorMessage ?? 'activity failed';
      return [{ id: STEPS + 1, completeOrchestration: { orchestrationStatus: 'ORCHESTRATION_STATUS_FAILED', failureDetails: { errorType: 'Error', errorMessage: message } } }];
    }
  }
  return []; // a turn with nothing this chain reacts to
}

/** Connects a lean worker to the sidecar at 127.0.0.1:`port` (its stream is open once the sidecar counts it: Dapr GetMetadata). */
export async function startLeanWorker(port: number): Promise<{ stop(): void }> {
  const def = fromJSON(JSON.parse(readFileSync(TASKHUB_DESCRIPTOR, 'utf8')), PROTO_LOADER_OPTIONS);
  const Ctor = (loadPackageDefinition(def) as any).TaskHubSidecarService;
  const c = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
  const answer = (rpc: string, req: object): void =>
    (c[rpc] as Unary).call(c, req, (err) => {
      if (err) console.error(`lean worker: ${rpc} failed: ${err.message}`);
    });
  await new Promise<void>((resolve, reject) => (c.Hello as Unary).call(c, {}, (err) => (err ? reject(err) : resolve())));
  const stream = c.GetWorkItems({}) as ClientReadableStream<any>;
  let stopped = false;
  stream.on('data', (item: any) => {
    if (item.orchestratorRequest) {
      const r = item.orchestratorRequest;
      answer('CompleteOrchestratorTask', { instanceId: r.instanceId, actions: decide(r.newEvents ?? []) });
    } else if (item.activityRequest) {
      const a = item.activityRequest;
      const x = JSON.parse(a.input?.value ?? 'null') as number;
      answer('CompleteActivityTask', { instanceId: a.orchestrationInstance?.instanceId, taskId: a.taskId ?? 0, result: { value: JSON.stringify(x + 1) } });
    }
  });
  stream.on('error', (err: ServiceError) => {
    if (!stopped) console.error(`lean worker: stream failed: ${err.message}`);
  });
  return {
    stop() {
      stopped = true;
      stream.cancel();
      c.close();
    },
  };
}

/** Child-process entry: a lean worker or a @dapr/dapr app with the chain, until SIGTERM. */
async function appProcess(kind: string, port: number): Promise<void> {
  let stop: () => Promise<void>;
  if (kind === 'lean') {
    const w = await startLeanWorker(port);
    stop = async () => w.stop();
  } else if (kind === 'dapr') {
    console.info = () => undefined; // the 3.18 worker logs every work item (see bench/grpc-chain.ts)
    const { chainRuntime } = await import('./grpc-chain-app.js');
    const runtime = chainRuntime(port);
    await runtime.start();
    stop = () => runtime.stop().catch(() => undefined);
  } else {
    throw new Error(`unknown app kind '${kind}' (lean | dapr)`);
  }
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await appProcess(process.argv[2] ?? '', Number(process.argv[3]));
