/**
 * @module components/host
 * The {@link ComponentHost} over a set of built components: dispatches `invoke:`, `binding:`,
 * `publish:` and `$SECRETS` to the component named in the call, validates outgoing CloudEvents,
 * and turns anything untyped a client library throws into an InfrastructureError.
 */
import type { Agent } from 'undici';
import { validateCloudEvent } from './cloudevent.js';
import { networkError, requestError } from './failures.js';
import { invokeService } from './invoke/service-invoker.js';
import type {
  ComponentHost,
  ComponentSummary,
  InvokeBindingRequest,
  InvokeBindingResponse,
  InvokeServiceRequest,
  InvokeServiceResponse,
  NameResolver,
  OutputBinding,
  PublishRequest,
  PubSub,
  SecretStore,
  SubscribeRequest,
  Subscription,
} from './types.js';
import { SwirlError } from '../errors.js';

/** Everything a host is made of (built by loadComponents). */
export interface HostParts {
  bindings: Map<string, OutputBinding>;
  pubsubs: Map<string, PubSub>;
  /** In precedence order for `$SECRETS` lookups. */
  secretStores: Array<{ name: string; store: SecretStore }>;
  resolver: NameResolver;
  agent: Agent;
  appId: string;
  timeoutMs: number;
  summaries: ComponentSummary[];
}

/** The default host implementation. */
export class DefaultComponentHost implements ComponentHost {
  private readonly subscriptions = new Set<Subscription>();
  private closed: Promise<void> | undefined;

  constructor(private readonly parts: HostParts) {}

  async invokeService(req: InvokeServiceRequest): Promise<InvokeServiceResponse> {
    this.checkOpen();
    return invokeService({ resolver: this.parts.resolver, dispatcher: this.parts.agent, timeoutMs: this.parts.timeoutMs, callerAppId: this.parts.appId }, req);
  }

  async invokeBinding(req: InvokeBindingRequest): Promise<InvokeBindingResponse> {
    this.checkOpen();
    const binding = this.parts.bindings.get(req.name);
    if (!binding) {
      throw requestError('ERR_INVOKE_OUTPUT_BINDING', `no output binding named '${req.name}' (configured: ${[...this.parts.bindings.keys()].join(', ') || 'none'})`, { binding: req.name });
    }
    if (!binding.operations.includes(req.operation)) {
      throw requestError('ERR_INVOKE_OUTPUT_BINDING', `binding '${req.name}' has no operation '${req.operation}' (supported: ${binding.operations.join(', ')})`, { binding: req.name, operation: req.operation });
    }
    return guard(`binding ${req.name}/${req.operation}`, () =>
      binding.invoke({ operation: req.operation, data: req.data, metadata: stringMap(req.metadata), idempotencyKey: req.idempotencyKey, traceparent: req.traceparent, signal: req.signal }),
    );
  }

  async publish(req: PublishRequest): Promise<void> {
    this.checkOpen();
    const ps = this.pubsub(req.pubsub);
    if (!req.topic) throw requestError('ERR_TOPIC_NAME_EMPTY', `publish to '${req.pubsub}': the topic is empty`);
    const event = validateCloudEvent(req.event);
    if (req.signal?.aborted) throw networkError(`publish ${req.pubsub}/${req.topic}`, req.signal.reason);
    await guard(`publish ${req.pubsub}/${req.topic}`, () => ps.publish(req.topic, event, stringMap(req.metadata), req.signal));
  }

  async subscribe(req: SubscribeRequest): Promise<Subscription> {
    this.checkOpen();
    const ps = this.pubsub(req.pubsub);
    const inner = await guard(`subscribe ${req.pubsub}/${req.topic}`, () => ps.subscribe(req.topic, req.handler));
    const sub: Subscription = {
      close: async () => {
        this.subscriptions.delete(sub);
        await inner.close();
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  async getSecret(name: string): Promise<string | undefined> {
    this.checkOpen();
    for (const { name: storeName, store } of this.parts.secretStores) {
      const v = await guard(`secret store ${storeName}`, () => store.get(name));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  describe(): ComponentSummary[] {
    return this.parts.summaries.map((s) => ({ ...s }));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      // Subscriptions end with their components, without unsubscribing: durable state (an MQTT
      // session, a JetStream consumer, a Redis group) must survive a restart to redeliver.
      this.subscriptions.clear();
      await Promise.allSettled([
        ...[...this.parts.bindings.values()].map((b) => b.close()),
        ...[...this.parts.pubsubs.values()].map((p) => p.close()),
        ...this.parts.secretStores.map((s) => s.store.close()),
        this.parts.agent.close(),
      ]);
    })();
    return this.closed;
  }

  private pubsub(name: string): PubSub {
    const ps = this.parts.pubsubs.get(name);
    if (!ps) throw requestError('ERR_PUBSUB_NOT_FOUND', `no pub/sub component named '${name}' (configured: ${[...this.parts.pubsubs.keys()].join(', ') || 'none'})`, { pubsub: name });
    return ps;
  }

  private checkOpen(): void {
    if (this.closed) throw new SwirlError('COMPONENTS_CLOSED', 'the component host is closed');
  }
}

/**
 * Dapr metadata is string → string. Workflow function metadata comes from YAML/JSON and may hold
 * numbers, booleans or arrays (`ttlInSeconds: 60`, `params: [1, 2]`): scalars become their text,
 * structures their JSON, null/undefined entries are dropped.
 */
function stringMap(meta: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** Runs a client call; typed Swirl errors pass, anything else is network trouble. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SwirlError) throw err;
    throw networkError(what, err);
  }
}
