/**
 * @module components/host
 * The {@link ComponentHost} over a set of built components: dispatches `invoke:`, `binding:`,
 * `publish:` and `$SECRETS` to the component named in the call, validates outgoing CloudEvents,
 * and turns anything untyped a client library throws into an InfrastructureError.
 */
import type { Agent } from 'undici';
import { validateCloudEvent } from './cloudevent.js';
import { abortError, networkError, requestError } from './failures.js';
import type {
  ComponentHost,
  ComponentSummary,
  CloudEventJson,
  InputBinding,
  InputBindingSummary,
  InvokeBindingRequest,
  InvokeBindingResponse,
  InvokeServiceRequest,
  InvokeServiceResponse,
  NameResolver,
  OutputBinding,
  PublishRequest,
  PubSub,
  ReceiveRequest,
  ReceivedMessage,
  SecretStore,
  SubscribeRequest,
  Subscription,
} from './types.js';
import { SwirlError } from '../errors.js';
import { loadOnUse } from '../optional-module.js';
import type { ComponentManifest } from './manifest.js';

/** Everything a host is made of (built by loadComponents). */
export interface HostParts {
  bindings: Map<string, OutputBinding>;
  /** Input sides of binding components (`direction: input`). */
  inputs?: Map<string, InputBinding>;
  /** The manifests by component name (their `scopes`); absent: no scopes anywhere. */
  manifests?: Map<string, ComponentManifest>;
  pubsubs: Map<string, PubSub>;
  /** In precedence order for `$SECRETS` lookups. */
  secretStores: Array<{ name: string; store: SecretStore }>;
  resolver: NameResolver;
  /** Creates the HTTP agent of service invocation; called on the first invocation (undici loads then). */
  agent: () => Promise<Agent>;
  appId: string;
  timeoutMs: number;
  summaries: ComponentSummary[];
}

/** The default host implementation. */
export class DefaultComponentHost implements ComponentHost {
  private readonly subscriptions = new Set<Subscription>();
  private closed: Promise<void> | undefined;
  /** Service invocation's agent, created with the first call: undici is not loaded at start-up (issue 12). */
  private agent: Promise<Agent> | undefined;
  /**
   * The loaded invoker, once: a dynamic `import()` per call goes through the module loader (and
   * its hooks) every time, ~0.4 ms of CPU per 3-call workflow (bench/README.md "Declarative over HTTP").
   */
  private invoker: Promise<(req: InvokeServiceRequest) => Promise<InvokeServiceResponse>> | undefined;

  constructor(private readonly parts: HostParts) {}

  async invokeService(req: InvokeServiceRequest): Promise<InvokeServiceResponse> {
    this.checkOpen();
    this.invoker ??= this.loadInvoker().catch((err: unknown) => {
      // A missing package is reported to every call, not cached: a later call tries again.
      this.invoker = undefined;
      throw err;
    });
    return (await this.invoker)(req);
  }

  private async loadInvoker(): Promise<(req: InvokeServiceRequest) => Promise<InvokeServiceResponse>> {
    const { invokeService } = await loadOnUse(() => import('./invoke/service-invoker.js'), 'undici', 'service invocation (invoke: functions)');
    this.agent ??= this.parts.agent();
    const options = { resolver: this.parts.resolver, dispatcher: await this.agent, timeoutMs: this.parts.timeoutMs, callerAppId: this.parts.appId };
    return (req) => invokeService(options, req);
  }

  async invokeBinding(req: InvokeBindingRequest): Promise<InvokeBindingResponse> {
    this.checkOpen();
    const binding = this.parts.bindings.get(req.name);
    if (!binding) {
      const inputOnly = this.parts.inputs?.has(req.name) ? ` ('${req.name}' is an input binding: its direction has no 'output')` : '';
      throw requestError('ERR_INVOKE_OUTPUT_BINDING', `no output binding named '${req.name}'${inputOnly} (configured: ${[...this.parts.bindings.keys()].join(', ') || 'none'})`, { binding: req.name });
    }
    this.checkScope('ERR_INVOKE_OUTPUT_BINDING', 'binding', req.name, req.caller);
    if (!binding.operations.includes(req.operation)) {
      throw requestError('ERR_INVOKE_OUTPUT_BINDING', `binding '${req.name}' has no operation '${req.operation}' (supported: ${binding.operations.join(', ')})`, { binding: req.name, operation: req.operation });
    }
    return guard(`binding ${req.name}/${req.operation}`, () =>
      binding.invoke({ operation: req.operation, data: req.data, metadata: stringMap(req.metadata), idempotencyKey: req.idempotencyKey, traceparent: req.traceparent, signal: req.signal }),
    );
  }

  async publish(req: PublishRequest): Promise<void> {
    this.checkOpen();
    const ps = this.pubsub(req.pubsub, req.caller);
    if (!req.topic) throw requestError('ERR_TOPIC_NAME_EMPTY', `publish to '${req.pubsub}': the topic is empty`);
    const event = validateCloudEvent(req.event);
    if (req.signal?.aborted) throw networkError(`publish ${req.pubsub}/${req.topic}`, req.signal.reason);
    await guard(`publish ${req.pubsub}/${req.topic}`, () => ps.publish(req.topic, event, stringMap(req.metadata), req.signal));
  }

  async subscribe(req: SubscribeRequest): Promise<Subscription> {
    this.checkOpen();
    const ps = this.pubsub(req.pubsub, req.caller);
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

  async receive(req: ReceiveRequest): Promise<ReceivedMessage> {
    this.checkOpen();
    const ps = this.pubsub(req.pubsub, req.caller);
    if (!req.topic) throw requestError('ERR_TOPIC_NAME_EMPTY', `receive from '${req.pubsub}': the topic is empty`);
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const what = `receive ${req.pubsub}/${req.topic}`;
    if (signal.aborted) throw abortError(what, signal);
    let taken = false;
    let take!: (e: CloudEventJson) => void;
    const first = new Promise<CloudEventJson>((resolve) => (take = resolve));
    // The taken message's handler stays pending until it is settled: the component acknowledges
    // it only when the handler resolves (ack), and leaves it for redelivery when it rejects.
    let settle!: (acked: boolean) => void;
    const settled = new Promise<boolean>((resolve) => (settle = resolve));
    const inner = await guard(what, () =>
      ps.subscribe(req.topic, async (event) => {
        // One message per wait: the others stay unacknowledged, for the next receiver.
        if (taken || signal.aborted) throw new Error('not taken: this receive has its message');
        taken = true;
        take(event);
        if (!(await settled)) throw new Error('released for redelivery');
      }),
    );
    const end = async (acked: boolean) => {
      settle(acked);
      await inner.close().catch(() => undefined);
    };
    let event: CloudEventJson;
    try {
      event = await new Promise<CloudEventJson>((resolve, reject) => {
        const onAbort = () => reject(abortError(what, signal));
        signal.addEventListener('abort', onAbort, { once: true });
        void first.then((e) => {
          signal.removeEventListener('abort', onAbort);
          resolve(e);
        });
      });
    } catch (err) {
      await end(false);
      throw err;
    }
    let done: Promise<void> | undefined;
    return { event, ack: () => (done ??= end(true)), release: () => (done ??= end(false)) };
  }

  async getSecret(name: string): Promise<string | undefined> {
    this.checkOpen();
    for (const { name: storeName, store } of this.parts.secretStores) {
      const v = await guard(`secret store ${storeName}`, () => store.get(name));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  inputBindings(): InputBindingSummary[] {
    return [...(this.parts.inputs?.keys() ?? [])].map((name) => {
      const m = this.parts.manifests?.get(name);
      return { name, type: m?.type ?? 'bindings', scopes: m ? [...m.scopes] : [] };
    });
  }

  async readBinding(name: string, handler: (event: CloudEventJson) => Promise<void>): Promise<Subscription> {
    this.checkOpen();
    const input = this.parts.inputs?.get(name);
    if (!input) throw requestError('ERR_INPUT_BINDING_NOT_FOUND', `no input binding named '${name}' (configured: ${[...(this.parts.inputs?.keys() ?? [])].join(', ') || 'none'})`, { binding: name });
    const inner = await guard(`read binding ${name}`, () => input.read(handler));
    const sub: Subscription = {
      close: async () => {
        this.subscriptions.delete(sub);
        await inner.close();
      },
    };
    this.subscriptions.add(sub);
    return sub;
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
        ...[...(this.parts.inputs?.values() ?? [])].map((b) => b.close()),
        ...[...this.parts.pubsubs.values()].map((p) => p.close()),
        ...this.parts.secretStores.map((s) => s.store.close()),
        this.agent?.then((a) => a.close()),
      ]);
    })();
    return this.closed;
  }

  private pubsub(name: string, caller: string | undefined): PubSub {
    const ps = this.parts.pubsubs.get(name);
    if (!ps) throw requestError('ERR_PUBSUB_NOT_FOUND', `no pub/sub component named '${name}' (configured: ${[...this.parts.pubsubs.keys()].join(', ') || 'none'})`, { pubsub: name });
    this.checkScope('ERR_PUBSUB_NOT_FOUND', 'pub/sub component', name, caller);
    return ps;
  }

  /**
   * Component `scopes` (specs/components.md §5): a component that lists scopes is usable only by
   * the workflows it names — or by every workflow when it names this host's app id, which is what
   * a Dapr file scoped to the app says. As in Dapr, an out-of-scope component does not exist for
   * the caller: the not-found code, with a message that says why.
   */
  private checkScope(code: string, what: string, name: string, caller: string | undefined): void {
    if (caller === undefined) return;
    const scopes = this.parts.manifests?.get(name)?.scopes ?? [];
    if (inScope(scopes, caller, this.parts.appId)) return;
    throw requestError(code, `${what} '${name}' is not in scope for workflow '${caller}' (its scopes: ${scopes.join(', ')}; add '${caller}' to use it)`, { component: name, workflow: caller });
  }

  private checkOpen(): void {
    if (this.closed) throw new SwirlError('COMPONENTS_CLOSED', 'the component host is closed');
  }
}

/** Whether a component with `scopes` may be used by workflow `workflowId` on a host with app id `appId`. */
export function inScope(scopes: readonly string[], workflowId: string, appId: string): boolean {
  return scopes.length === 0 || scopes.includes(workflowId) || scopes.includes(appId);
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
