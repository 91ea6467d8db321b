/**
 * @module components/rpc/json
 * The proto3 JSON mapping between workflow data and protobuf messages, over proto-loader's message
 * descriptors: argument names are accepted as written in the .proto (`pet_id`) or in lowerCamelCase
 * (`petId`), unknown names are refused (protobuf.js would drop them silently); the well-known types
 * Timestamp (RFC 3339 text), Duration (`"1.5s"`), the wrappers (their plain value) and Empty map
 * as the proto3 JSON mapping says.
 */
import type { PackageDefinition } from '@grpc/proto-loader';

type Obj = Record<string, unknown>;

/** A field of a message descriptor as proto-loader gives it (names already lowerCamelCase). */
interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options?: { mapEntry?: boolean } | null;
}

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `google.protobuf.${n}`));

/** `pet_id` → `petId` (protobuf.js's conversion, which proto-loader applied to the descriptors). */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A message type of the tree by its full name, with its nested map-entry types. */
function messageOf(def: PackageDefinition, full: string): MessageDescriptor | undefined {
  const entry = def[full] as { format?: string; type?: unknown } | undefined;
  return entry?.format === 'Protocol Buffer 3 DescriptorProto' ? (entry.type as MessageDescriptor) : undefined;
}

/**
 * The full name of the type a field refers to, resolved as protobuf scopes do: nested in the
 * message, then outward through its package.
 */
function resolveType(def: PackageDefinition, scope: string, typeName: string): string | undefined {
  if (typeName.startsWith('.')) return typeName.slice(1);
  const parts = scope.split('.');
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), typeName].join('.');
    if (def[candidate]) return candidate;
  }
  return undefined;
}

/** A map field's entry type (a nested type flagged mapEntry), or undefined. */
function mapEntryOf(msg: MessageDescriptor, f: FieldDescriptor): MessageDescriptor | undefined {
  if (f.type !== 'TYPE_MESSAGE' || f.label !== 'LABEL_REPEATED') return undefined;
  return msg.nestedType.find((n) => n.name === f.typeName.split('.').pop() && n.options?.mapEntry === true);
}

/** Problems found converting arguments: the JSON pointer of each unknown name. */
export type ArgumentProblems = string[];

function timestampIn(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return v;
  const frac = /\.(\d+)/.exec(v)?.[1] ?? '';
  const nanos = frac === '' ? 0 : Number(frac.padEnd(9, '0').slice(0, 9));
  return { seconds: String(Math.floor(ms / 1000)), nanos };
}

function durationIn(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(v);
  if (!m) return v;
  const sign = m[1] ? -1 : 1;
  return { seconds: String(sign * Number(m[2])), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
}

/**
 * Workflow arguments → the plain object protobuf.js encodes as message `type` (names to
 * lowerCamelCase, well-known types from their JSON form). Unknown names go to `problems`.
 */
export function toMessage(def: PackageDefinition, type: string, value: unknown, problems: ArgumentProblems, pointer = ''): unknown {
  if (type === 'google.protobuf.Timestamp') return timestampIn(value);
  if (type === 'google.protobuf.Duration') return durationIn(value);
  if (WRAPPERS.has(type)) return value === null || (typeof value === 'object' && value !== null) ? value : { value };
  const msg = messageOf(def, type);
  if (!msg || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Obj = {};
  for (const [key, v] of Object.entries(value as Obj)) {
    const name = camelCase(key);
    const f = msg.field.find((x) => x.name === name);
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!f) {
      problems.push(at);
      continue;
    }
    out[name] = fieldValue(def, type, msg, f, v, problems, at);
  }
  return out;
}

function fieldValue(def: PackageDefinition, scope: string, msg: MessageDescriptor, f: FieldDescriptor, v: unknown, problems: ArgumentProblems, at: string): unknown {
  if (f.type !== 'TYPE_MESSAGE') return v;
  const entry = mapEntryOf(msg, f);
  if (entry) {
    const valueField = entry.field.find((x) => x.name === 'value');
    if (!valueField || valueField.type !== 'TYPE_MESSAGE' || v === null || typeof v !== 'object') return v;
    const valueType = resolveType(def, `${scope}.${entry.name}`, valueField.typeName);
    return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, valueType ? toMessage(def, valueType, x, problems, `${at}/${k}`) : x]));
  }
  const full = resolveType(def, scope, f.typeName);
  if (!full) return v;
  if (f.label === 'LABEL_REPEATED' && Array.isArray(v)) return v.map((x, i) => toMessage(def, full, x, problems, `${at}/${i}`));
  return toMessage(def, full, v, problems, at);
}

function timestampOut(v: Obj): string {
  const seconds = Number(v.seconds ?? 0);
  const nanos = Number(v.nanos ?? 0);
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/(\d{3})0{6}$|(\d{6})0{3}$/, '$1$2')}`;
  return `${iso}${frac}Z`;
}

function durationOut(v: Obj): string {
  const seconds = Number(v.seconds ?? 0);
  const nanos = Number(v.nanos ?? 0);
  const negative = seconds < 0 || nanos < 0;
  const frac = nanos === 0 ? '' : `.${String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '')}`;
  return `${negative ? '-' : ''}${Math.abs(seconds)}${frac}s`;
}

/** A decoded message (proto-loader's plain object) → its proto3 JSON form (well-known types). */
export function fromMessage(def: PackageDefinition, type: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Obj;
  if (type === 'google.protobuf.Timestamp') return timestampOut(v);
  if (type === 'google.protobuf.Duration') return durationOut(v);
  if (WRAPPERS.has(type)) return v.value ?? null;
  const msg = messageOf(def, type);
  if (!msg) return value;
  const out: Obj = {};
  for (const [key, x] of Object.entries(v)) {
    const f = msg.field.find((y) => y.name === key);
    if (!f || f.type !== 'TYPE_MESSAGE' || x === null) {
      out[key] = x;
      continue;
    }
    const entry = mapEntryOf(msg, f);
    if (entry) {
      const valueField = entry.field.find((y) => y.name === 'value');
      const valueType = valueField?.type === 'TYPE_MESSAGE' ? resolveType(def, `${type}.${entry.name}`, valueField.typeName) : undefined;
      out[key] = valueType ? Object.fromEntries(Object.entries(x as Obj).map(([k, y]) => [k, fromMessage(def, valueType, y)])) : x;
      continue;
    }
    const full = resolveType(def, type, f.typeName);
    out[key] = !full ? x : Array.isArray(x) ? x.map((y) => fromMessage(def, full, y)) : fromMessage(def, full, x);
  }
  return out;
}

/** The top-level field names of a message (lowerCamelCase), for validation's did-you-mean. */
export function fieldNames(def: PackageDefinition, type: string): string[] | undefined {
  return messageOf(def, type)?.field.map((f) => f.name);
}
