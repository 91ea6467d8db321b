/**
 * @module grpc/worker-service
 * The worker half of `TaskHubSidecarService` (what WorkflowRuntime / TaskHubGrpcWorker call):
 * GetWorkItems (server stream), CompleteOrchestratorTask, CompleteActivityTask — over the
 * WorkDispatcher — and the registration of the names the app uses as remote orchestrations and
 * activities of the host's engine (specs/grpc.md "Routing").
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { SwirlHost } from '../host/host.js';
import type { Logger } from '../engine/logger.js';
import { WorkDispatcher } from './work-dispatcher.js';

/** How often unserved queued work (e.g. after a restart) is adopted as remote while a worker is connected. */
const ADOPT_INTERVAL_MS = 1000;

export interface WorkerSide {
  dispatcher: WorkDispatcher;
  /** StartInstance of `name`: a name no definition or registration has is a remote orchestration. */
  starting(name: string): void;
  getWorkItems(call: ServerWritableStream<unknown, unknown>): void;
  completeOrchestratorTask(call: { request: { instanceId?: string } }): Promise<unknown>;
  completeActivityTask(call: { request: { instanceId?: string; taskId?: number } }): Promise<unknown>;
  close(): void;
}

export function workerSide(host: SwirlHost, logger: Logger): WorkerSide {
  const engine = host.engine;
  const learn = (kind: 'orchestration' | 'activity', name: string): void => {
    if (engine.isRegistered(kind, name)) return;
    if (kind === 'orchestration') engine.registerRemoteOrchestration(name, dispatcher);
    else engine.registerActivity(name, (input: unknown, ctx) => dispatcher.runActivity(name, input, ctx), { available: () => dispatcher.canRun('activity', name) });
  };
  const dispatcher: WorkDispatcher = new WorkDispatcher({ learned: learn }, logger);
  // Work queued under names nothing here serves (instances of app orchestrations after a restart,
  // their activity tasks) is the connected app's.
  const adopt = async (): Promise<void> => {
    if (dispatcher.connectedWorkers === 0) return;
    for (const q of await engine.queuedWork().catch(() => [])) if (!q.served) learn(q.kind, q.name);
  };
  const timer = setInterval(() => void adopt(), ADOPT_INTERVAL_MS);
  timer.unref();
  return {
    dispatcher,
    starting: (name) => learn('orchestration', name),
    getWorkItems(call) {
      dispatcher.attach(call);
      // Work that waited for a worker (unserved while none was connected) can be claimed now.
      engine.workChanged();
      void adopt();
    },
    async completeOrchestratorTask(call) {
      dispatcher.completeTurn(call.request);
      return {};
    },
    async completeActivityTask(call) {
      dispatcher.completeActivity(call.request);
      return {};
    },
    close() {
      clearInterval(timer);
      dispatcher.closeAll();
    },
  };
}
