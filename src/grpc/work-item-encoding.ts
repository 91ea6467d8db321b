/**
 * @module grpc/work-item-encoding
 * Orchestrator work items encoded from events encoded once. Every turn of a remote orchestration
 * carries its whole history (the JS SDKs' protocol has no "new events only" mode), so encoding the
 * WorkItem object as a whole re-encoded every past event on every turn — O(history) per turn, O(n²)
 * per instance. Here each HistoryEvent is encoded once (protobufjs, the same library and
 * descriptors @grpc/proto-loader uses for every other message: `HistoryEvent.fromObject` +
 * `encode`), its bytes kept with the event object (a WeakMap: the engine hands the same objects
 * back turn after turn from its remote-history cache), and the WorkItem is assembled by protobufjs
 * from mirror types that declare the same field numbers with the embedded messages as `bytes` — an
 * embedded message and a bytes field are the same on the wire (tag, length, bytes), and repeated
 * bytes are never packed, so the result is byte-for-byte what encoding the whole object gives
 * (test/grpc/work-item-encoding.test.ts). No protobuf is encoded by hand.
 *
 * grpc-js writes a Buffer as-is: the GetWorkItems method's serializer passes Buffers through
 * (proto.ts taskHubService) and encodes objects (activity work items) as before.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Type } from 'protobufjs';
import type { HistoryEvent } from '../engine/history.js';
import { toProtoEvent, type SentExecution } from './history-map.js';
import { TASKHUB_DESCRIPTOR } from './proto.js';

/** The reflection types this file encodes with. */
interface Codec {
  historyEvent: Type;
  /** OrchestratorRequest with pastEvents (3) and newEvents (4) as already-encoded HistoryEvents. */
  orchestratorRequestBytes: Type;
  /** WorkItem with orchestratorRequest (1) as an already-encoded OrchestratorRequest. */
  workItemBytes: Type;
}

let codec: Codec | undefined;

/**
 * The types, built with the first orchestrator work item: protobuf.js and the descriptor load then,
 * not at start-up (specs/cli.md "`swirl serve` start-up: what loads when"), as in service-definition.ts.
 */
function types(): Codec {
  if (codec) return codec;
  const protobuf = createRequire(import.meta.url)('protobufjs/light') as typeof import('protobufjs');
  const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(TASKHUB_DESCRIPTOR, 'utf8')));
  const orchestratorRequestBytes = new protobuf.Type('SwirlOrchestratorRequestBytes')
    .add(new protobuf.Field('instanceId', 1, 'string'))
    .add(new protobuf.Field('executionId', 2, 'google.protobuf.StringValue'))
    .add(new protobuf.Field('pastEvents', 3, 'bytes', 'repeated'))
    .add(new protobuf.Field('newEvents', 4, 'bytes', 'repeated'));
  const workItemBytes = new protobuf.Type('SwirlWorkItemBytes').add(new protobuf.Field('orchestratorRequest', 1, 'bytes'));
  root.add(orchestratorRequestBytes).add(workItemBytes);
  root.resolveAll();
  codec = { historyEvent: root.lookupType('HistoryEvent'), orchestratorRequestBytes, workItemBytes };
  return codec;
}

/** Each engine event's encoding (undefined: the protocol has no place for it), kept while the event object lives. */
const encoded = new WeakMap<HistoryEvent, Uint8Array | null>();

/** The protobuf HistoryEvent bytes of `e` (encoded once per event object); null for an engine-only event. */
export function encodedEvent(e: HistoryEvent, x: SentExecution | undefined): Uint8Array | null {
  const hit = encoded.get(e);
  if (hit !== undefined) return hit;
  const p = toProtoEvent(e, x);
  const HistoryEventType = types().historyEvent;
  // toProtoEvent's objects already have the encoder's types (numbers, strings, nested plain
  // objects, no Longs), except ExecutionCompleted's enum, which is a name: only that one goes
  // through fromObject (a tenth of the per-event encoding cost otherwise; bytes equal either way,
  // test/grpc/work-item-encoding.test.ts).
  const bytes = p === undefined ? null : HistoryEventType.encode(e.type === 'ExecutionCompleted' ? HistoryEventType.fromObject(p) : p).finish();
  encoded.set(e, bytes);
  return bytes;
}

function encodedEvents(events: readonly HistoryEvent[], x: SentExecution | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of events) {
    const b = encodedEvent(e, x);
    if (b !== null) out.push(b);
  }
  return out;
}

/**
 * The WorkItem{orchestratorRequest} of one turn, encoded: what GetWorkItems writes for it. The
 * trace fields of the events depend only on their execution (`x`), which an event object never
 * changes, so an event's bytes stay valid for every later turn.
 */
export function orchestratorWorkItem(instanceId: string, executionId: string, pastEvents: readonly HistoryEvent[], newEvents: readonly HistoryEvent[], x: SentExecution | undefined): Buffer {
  const { orchestratorRequestBytes, workItemBytes } = types();
  const request = orchestratorRequestBytes.encode({ instanceId, executionId: { value: executionId }, pastEvents: encodedEvents(pastEvents, x), newEvents: encodedEvents(newEvents, x) }).finish();
  const item = workItemBytes.encode({ orchestratorRequest: request }).finish();
  return Buffer.from(item.buffer, item.byteOffset, item.byteLength);
}
