/**
 * @module components/bindings/input-event
 * What every input binding shares: Dapr's `direction` metadata (which sides of a `bindings.*`
 * component run) and how one received message becomes the CloudEvent that Swirl's event router
 * sees — `type` from Dapr's `route` metadata, `source` naming the component, an `id` stable across
 * redeliveries (the broker's message id, else a digest of the content) so the store's
 * (source, id) de-duplication consumes a redelivered message once (specs/components.md §4).
 */
import { createHash } from 'node:crypto';
import type { ComponentMetadata } from '../metadata.js';
import type { CloudEventJson } from '../types.js';

/** Which sides of a binding component run. */
export interface BindingDirection {
  input: boolean;
  output: boolean;
}

/**
 * Dapr's `direction`: `input`, `output` or `input, output` (any order, any case). Absent, a
 * component is what it was before input bindings existed — output only — except for types that
 * only read (cron): reading a queue nobody asked to read would take its messages from other consumers.
 */
export function bindingDirection(md: ComponentMetadata, defaults: BindingDirection): BindingDirection {
  const raw = md.string('direction');
  if (raw === undefined) return defaults;
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  const bad = parts.find((p) => p !== 'input' && p !== 'output');
  if (bad !== undefined || parts.length === 0) throw md.error('direction', `expected 'input', 'output' or 'input, output', found '${raw}'`);
  return { input: parts.includes('input'), output: parts.includes('output') };
}

/**
 * The CloudEvent `type` of the component's messages: Dapr's `route` (the app path Dapr would POST
 * to; its leading `/` dropped), else the component name — Dapr's default route is `/<name>`.
 */
export function bindingEventType(md: ComponentMetadata): string {
  const route = md.string('route');
  if (route === undefined) return md.manifest.name;
  const type = route.replace(/^\/+/, '');
  if (type === '') throw md.error('route', `expected a route such as '/orders' (it names the CloudEvent type), found '${route}'`);
  return type;
}

/** The `source` of every event a binding component delivers. */
export function bindingEventSource(component: string): string {
  return `swirl/bindings/${component}`;
}

/** A digest id of a message without a broker id: stable across redeliveries of the same bytes. */
export function contentId(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 32);
}

/** CloudEvent extension attribute names: lower-case letters and digits, at most 20 (CloudEvents 1.0 §Naming). */
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
/** Attributes a message header may not set (they are the binding's). */
const RESERVED = new Set(['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time', 'data', 'data_base64']);

/** What one received message is made of. */
export interface BindingMessage {
  component: string;
  type: string;
  id: string;
  body: Buffer;
  contentType?: string;
  subject?: string;
  time?: string;
  /** Broker headers: those named like CloudEvent extensions with scalar values become attributes (for `correlation`). */
  headers?: Record<string, unknown>;
}

/**
 * The CloudEvent a message is delivered as. The body becomes `data`: JSON-decoded when it parses
 * as JSON (whatever the content type says, as Dapr's bindings hand JSON through), else text, and
 * `data_base64` for bytes that are not UTF-8.
 */
export function bindingCloudEvent(m: BindingMessage): CloudEventJson {
  const event: CloudEventJson = { specversion: '1.0', id: m.id, source: bindingEventSource(m.component), type: m.type };
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const name = k.toLowerCase();
    if (!EXTENSION_NAME.test(name) || RESERVED.has(name)) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') event[name] = typeof v === 'string' ? v : String(v);
    else if (Buffer.isBuffer(v)) event[name] = v.toString('utf8');
  }
  if (m.subject !== undefined) event.subject = m.subject;
  if (m.time !== undefined) event.time = m.time;
  if (m.body.length === 0) return event;
  const text = m.body.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(m.body)) {
    event.datacontenttype = m.contentType ?? 'application/octet-stream';
    event.data_base64 = m.body.toString('base64');
    return event;
  }
  try {
    event.data = JSON.parse(text);
    event.datacontenttype = 'application/json';
  } catch {
    event.data = text;
    event.datacontenttype = m.contentType && !/json/i.test(m.contentType) ? m.contentType : 'text/plain';
  }
  return event;
}
