// COMPONENTS-INTERFACE-READY
/**
 * @module components/types
 * The contract between workflows and the outside world: the {@link ComponentHost} that custom
 * functions (`invoke:`, `binding:`, `publish:`) and `$SECRETS` reach, and the small per-kind
 * interfaces (binding, pub/sub, secret store, name resolution) that Dapr component files configure.
 */

/**
 * A CloudEvent 1.0 in its JSON (structured) form. `specversion`, `id`, `source` and `type` are
 * required by the spec; extension attributes are plain top-level string/number/boolean members.
 */
export interface CloudEventJson {
  specversion: string;
  id: string;
  source: string;
  type: string;
  datacontenttype?: string;
  dataschema?: string;
  subject?: string;
  time?: string;
  data?: unknown;
  /** Base64 payload for binary data (CloudEvents JSON format §3.1). */
  data_base64?: string;
  [extension: string]: unknown;
}

/** A live subscription; `close()` stops delivery (in-flight handlers finish first). */
export interface Subscription {
  close(): Promise<void>;
}

/** Request of {@link ComponentHost.invokeService}. */
export interface InvokeServiceRequest {
  /** Target app id, resolved to a base URL by the name-resolution configuration. */
  appId: string;
  /** Method path on the target app (`orders/new` → `<base>/orders/new`); may carry a query string. */
  method: string;
  /** HTTP verb from function metadata `httpVerb`; default POST. */
  verb?: string;
  /** Body; sent as JSON unless it is a string or bytes. Ignored for GET/HEAD. */
  data?: unknown;
  headers?: Record<string, string>;
  /** Sent as the `idempotency-key` header. */
  idempotencyKey?: string;
  /** W3C trace context, sent as the `traceparent` header. */
  traceparent?: string;
  signal?: AbortSignal;
}

/** Response of {@link ComponentHost.invokeService} (only for 2xx/3xx; error statuses throw). */
export interface InvokeServiceResponse {
  status: number;
  /** Parsed JSON when the response says JSON (or parses as JSON), the text otherwise, null when empty. */
  data: unknown;
  /** Response headers, names lower-cased. */
  headers: Record<string, string>;
}

/** Request of {@link ComponentHost.invokeBinding}: Dapr's `{data, metadata, operation}` shape. */
export interface InvokeBindingRequest {
  /** Component name (`metadata.name` of the component file). */
  name: string;
  /** Binding operation (`create`, `get`, `delete`, `exec`, `query`, `post` …). */
  operation: string;
  data?: unknown;
  metadata?: Record<string, string>;
  idempotencyKey?: string;
  traceparent?: string;
  signal?: AbortSignal;
  /** The workflow id making the call; checked against the component's `scopes` (specs/components.md §5). */
  caller?: string;
}

/** Response of an output binding: Dapr's `{data, metadata}`. */
export interface InvokeBindingResponse {
  data: unknown;
  metadata: Record<string, string>;
}

/** Request of {@link ComponentHost.publish}. */
export interface PublishRequest {
  /** Pub/sub component name. */
  pubsub: string;
  topic: string;
  /** The message, always a complete CloudEvent (see `toCloudEvent` to build one). */
  event: CloudEventJson;
  /** Extra per-message metadata (Dapr's `metadata.*` query parameters), e.g. `ttlInSeconds`. */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  /** The workflow id publishing; checked against the component's `scopes`. */
  caller?: string;
}

/** Request of {@link ComponentHost.subscribe}. */
export interface SubscribeRequest {
  pubsub: string;
  topic: string;
  /** The workflow id the subscription is for; checked against the component's `scopes`. */
  caller?: string;
  /**
   * Called once per delivered event. Delivery is at-least-once: the message is acknowledged only
   * after the promise resolves; a rejection leaves it for redelivery. Callers de-duplicate by `id`.
   */
  handler: (event: CloudEventJson) => Promise<void>;
}

/** Request of {@link ComponentHost.receive}: wait for the next message on a topic. */
export interface ReceiveRequest {
  pubsub: string;
  topic: string;
  /** Ends the wait (the activity's shutdown signal). */
  signal?: AbortSignal;
  /** Longest wait; past it an InfrastructureError TIMEOUT. */
  timeoutMs: number;
  /** The workflow id waiting; checked against the component's `scopes`. */
  caller?: string;
}

/** A message {@link ComponentHost.receive} got; settle it exactly once. */
export interface ReceivedMessage {
  event: CloudEventJson;
  /** Acknowledges the message to the broker (after what it caused is durable), then unsubscribes. */
  ack(): Promise<void>;
  /** Gives the message back for redelivery, then unsubscribes. */
  release(): Promise<void>;
}

/** What a workflow's custom functions reach: everything behind `invoke:`, `binding:`, `publish:`, $SECRETS. */
export interface ComponentHost {
  /**
   * Service invocation `invoke:<appId>/<method>`; verb from function metadata `httpVerb` (default POST).
   * An error status from the remote → WorkflowError with `code` = the status as a string ("404");
   * unknown app id → WorkflowError "ERR_DIRECT_INVOKE"; network trouble or timeout → InfrastructureError.
   */
  invokeService(req: InvokeServiceRequest): Promise<InvokeServiceResponse>;
  /**
   * Output binding `binding:<name>/<operation>`, Dapr's request shape {data, metadata}.
   * Unknown binding / unsupported operation → WorkflowError; broker trouble → InfrastructureError.
   */
  invokeBinding(req: InvokeBindingRequest): Promise<InvokeBindingResponse>;
  /** Publish `publish:<pubsub>/<topic>` and produced events; `event` is a CloudEvent 1.0 (JSON form). */
  publish(req: PublishRequest): Promise<void>;
  /** Subscriptions deliver CloudEvents into the engine: at-least-once, de-duplicated by event id by the caller. */
  subscribe(req: SubscribeRequest): Promise<Subscription>;
  /**
   * Subscribes to `topic` through the component's consumer and returns the first message it gets,
   * not yet acknowledged: `ack()` acknowledges it and ends the subscription, `release()` leaves it
   * for redelivery and ends the subscription. Messages arriving meanwhile are left unacknowledged
   * for redelivery. Optional so test fakes need not implement it (asyncapi `subscribe` operations).
   */
  receive?(req: ReceiveRequest): Promise<ReceivedMessage>;
  /** `$SECRETS.<name>`; undefined when no store has it. */
  getSecret(name: string): Promise<string | undefined>;
  /**
   * The input bindings (`bindings.*` components whose `direction` includes `input`), with the
   * workflows their `scopes` let events reach. Optional so test fakes need not implement it.
   */
  inputBindings?(): InputBindingSummary[];
  /**
   * Starts reading input binding `name`: each message is handed to `handler` as a CloudEvent and
   * acknowledged to the broker only after the promise resolves (a rejection: redelivery).
   */
  readBinding?(name: string, handler: (event: CloudEventJson) => Promise<void>): Promise<Subscription>;
  /** The configured components (for `/v1.0/metadata` and diagnostics). Optional so test fakes need not implement it. */
  describe?(): ComponentSummary[];
  /** Closes every connection and subscription. Idempotent. */
  close(): Promise<void>;
}

/** One input binding, as listed by {@link ComponentHost.inputBindings}. */
export interface InputBindingSummary {
  name: string;
  type: string;
  /** The component's `scopes`: workflow ids (or the host's app id) its events may reach; empty = all. */
  scopes: string[];
}

/** One configured component, as listed by {@link ComponentHost.describe}. */
export interface ComponentSummary {
  name: string;
  /** Dapr type, e.g. `pubsub.redis`. */
  type: string;
  version: string;
  /** Source file the component came from (absent for built-in defaults). */
  file?: string;
}

// ---------------------------------------------------------------------------------------------
// Per-kind component interfaces (what a component file turns into).

/** An output binding component (`bindings.*`). */
export interface OutputBinding {
  /** Operations this binding accepts (Dapr's `ListOperations`). */
  readonly operations: readonly string[];
  invoke(req: BindingCall): Promise<InvokeBindingResponse>;
  close(): Promise<void>;
}

/** What an output binding receives (the host strips the component name). */
export interface BindingCall {
  operation: string;
  data?: unknown;
  metadata: Record<string, string>;
  idempotencyKey?: string;
  traceparent?: string;
  signal?: AbortSignal;
}

/**
 * The reading side of a `bindings.*` component (Dapr's input binding). Messages are delivered to
 * the handler one at a time per component, as CloudEvents, and acknowledged after it resolves.
 */
export interface InputBinding {
  read(handler: (event: CloudEventJson) => Promise<void>): Promise<Subscription>;
  close(): Promise<void>;
}

/** A pub/sub component (`pubsub.*`). */
export interface PubSub {
  publish(topic: string, event: CloudEventJson, metadata: Record<string, string>, signal?: AbortSignal): Promise<void>;
  subscribe(topic: string, handler: (event: CloudEventJson) => Promise<void>): Promise<Subscription>;
  close(): Promise<void>;
}

/** A secret store component (`secretstores.*`). */
export interface SecretStore {
  /** The secret's value, or undefined when this store does not have it. */
  get(name: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Resolves an app id to the base URL its methods live under (`http://127.0.0.1:3000`). */
export interface NameResolver {
  resolve(appId: string): string | undefined;
}
