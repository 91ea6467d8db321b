/**
 * @module components
 * The components layer's public surface: load a Dapr components folder into a
 * {@link ComponentHost}, CloudEvent helpers, and the types the interpreter codes against.
 */
export type {
  CloudEventJson,
  ComponentHost,
  ComponentSummary,
  InputBinding,
  InputBindingSummary,
  InvokeBindingRequest,
  InvokeBindingResponse,
  InvokeServiceRequest,
  InvokeServiceResponse,
  PublishRequest,
  SubscribeRequest,
  Subscription,
} from './types.js';
export { loadComponents, createComponentHost, DEFAULT_SECRET_STORE, type LoadComponentsOptions } from './loader.js';
export { inScope } from './host.js';
export { parseComponentText, type ComponentManifest, type MetadataEntry } from './manifest.js';
export { toCloudEvent, validateCloudEvent, parseCloudEvent, type CloudEventInit } from './cloudevent.js';
export { ComponentErrorCode, formatComponentDiagnostic, type ComponentDiagnostic } from './failures.js';
export { supportedComponentTypes } from './registry.js';
