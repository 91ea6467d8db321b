/**
 * The .proto files Swirl serves from its own proto/ folder (so an installed package needs neither
 * Dapr SDK) are verbatim copies of the ones the pinned SDKs ship, licence headers included, and
 * the package publishes the folder; the JSON descriptors loaded at start-up match them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fromJSON, loadSync } from '@grpc/proto-loader';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { DAPR_PROTO_ROOT, DAPR_RUNTIME_DESCRIPTOR, ORCHESTRATOR_PROTO, PROTO_DIR, PROTO_LOADER_OPTIONS, TASKHUB_DESCRIPTOR, daprRuntimeService, taskHubService } from '../../src/grpc/proto.js';

const require = createRequire(import.meta.url);

test('proto/ holds verbatim copies of the SDKs\' .proto files, each with its licence header; package.json publishes it', () => {
  const durable = require.resolve('@dapr/durabletask-js/proto/orchestrator_service.proto');
  assert.equal(readFileSync(ORCHESTRATOR_PROTO, 'utf8'), readFileSync(durable, 'utf8'));
  assert.match(readFileSync(ORCHESTRATOR_PROTO, 'utf8'), /^\/\/ Copyright \(c\) Microsoft Corporation\.\n\/\/ Licensed under the MIT License\./);
  const daprRoot = join(dirname(require.resolve('@dapr/dapr/package.json')), 'proto');
  for (const sub of ['dapr/proto/common/v1', 'dapr/proto/runtime/v1']) {
    const ours = readdirSync(join(DAPR_PROTO_ROOT, sub)).filter((f) => f.endsWith('.proto')).sort();
    const theirs = readdirSync(join(daprRoot, sub)).filter((f) => f.endsWith('.proto')).sort();
    assert.deepEqual(ours, theirs, sub);
    for (const f of ours) {
      const text = readFileSync(join(DAPR_PROTO_ROOT, sub, f), 'utf8');
      assert.equal(text, readFileSync(join(daprRoot, sub, f), 'utf8'), `${sub}/${f}`);
      assert.match(text, /Copyright \d{4} The Dapr Authors\s+Licensed under the Apache License, Version 2\.0/, `${sub}/${f}`);
    }
  }
  const pkg = JSON.parse(readFileSync(join(PROTO_DIR, '..', 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.ok(pkg.files.includes('proto'), 'package.json "files" publishes proto/');
  assert.equal(pkg.dependencies['@dapr/durabletask-js'], undefined);
  assert.equal(pkg.dependencies['@dapr/dapr'], undefined);
});

test('proto/descriptors/*.json are current: written from the .proto files, they load to the same services as the .proto files', async () => {
  // @ts-expect-error the generator is a plain .mjs script without typings
  const { DESCRIPTORS, descriptorText } = (await import('../../scripts/proto-descriptors.mjs')) as {
    DESCRIPTORS: Array<{ json: string; proto: string; includeDirs: string[] }>;
    descriptorText: (d: { json: string; proto: string; includeDirs: string[] }) => string;
  };
  assert.deepEqual(DESCRIPTORS.map((d) => d.json).sort(), [DAPR_RUNTIME_DESCRIPTOR, TASKHUB_DESCRIPTOR].sort());
  for (const d of DESCRIPTORS) {
    assert.equal(readFileSync(d.json, 'utf8'), descriptorText(d), `${d.json} is stale: run node scripts/proto-descriptors.mjs`);
    // What the server registers: every method's path, streaming and message descriptors (functions aside).
    const fromProto = loadSync(d.proto, { ...PROTO_LOADER_OPTIONS, includeDirs: d.includeDirs });
    const fromDescriptor = fromJSON(JSON.parse(readFileSync(d.json, 'utf8')), PROTO_LOADER_OPTIONS);
    assert.deepEqual(JSON.parse(JSON.stringify(fromDescriptor)), JSON.parse(JSON.stringify(fromProto)), d.json);
  }
  assert.ok(Object.keys(taskHubService()).includes('StartInstance'));
  assert.ok(Object.keys(daprRuntimeService()).includes('StartWorkflowBeta1'));
});

/**
 * A message of `type` with every field set (scalars of each kind, enums, bytes, maps, repeated,
 * nested messages to depth 3; one field per oneof, the last), as proto-loader's plain objects.
 */
function sample(type: protobuf.Type, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const oneof of type.oneofsArray) for (const f of oneof.fieldsArray.slice(0, -1)) f.resolve();
  const skipped = new Set(type.oneofsArray.flatMap((o) => o.fieldsArray.slice(0, -1).map((f) => f.name)));
  for (const field of type.fieldsArray) {
    if (skipped.has(field.name)) continue;
    field.resolve();
    const one = (): unknown => {
      const t = field.resolvedType;
      if (t instanceof protobuf.Type) return depth < 3 ? sample(t, depth + 1) : {};
      if (t instanceof protobuf.Enum) return Object.keys(t.values).at(-1);
      switch (field.type) {
        case 'string': return `${field.name} é ✓`;
        case 'bytes': return Buffer.from([0, 1, 2, 255]);
        case 'bool': return true;
        case 'double': case 'float': return 1.5;
        case 'int64': case 'sint64': case 'sfixed64': return -1234567890123;
        case 'uint64': case 'fixed64': return 1234567890123;
        case 'int32': case 'sint32': case 'sfixed32': return -42;
        default: return 42;
      }
    };
    if (field instanceof protobuf.MapField) out[field.name] = { k1: one(), k2: one() };
    else out[field.name] = field.repeated ? [one(), one()] : one();
  }
  return out;
}

test('the served definitions encode and decode every method\'s messages byte for byte as proto-loader\'s fromJSON does', () => {
  const served: Array<[string, ServiceDefinition, string]> = [
    [TASKHUB_DESCRIPTOR, taskHubService(), 'TaskHubSidecarService'],
    [DAPR_RUNTIME_DESCRIPTOR, daprRuntimeService(), 'dapr.proto.runtime.v1.Dapr'],
  ];
  let messages = 0;
  for (const [file, ours, name] of served) {
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const theirs = fromJSON(json, PROTO_LOADER_OPTIONS)[name] as ServiceDefinition;
    const root = protobuf.Root.fromJSON(json);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs), name);
    for (const [rpc, a] of Object.entries(ours) as Array<[string, MethodDefinition<unknown, unknown>]>) {
      const b = theirs[rpc] as MethodDefinition<unknown, unknown>;
      assert.deepEqual([a.path, a.requestStream, a.responseStream, a.originalName], [b.path, b.requestStream, b.responseStream, b.originalName], `${name}/${rpc}`);
      const method = root.lookupService(name).methods[rpc]!;
      method.resolve();
      for (const [type, ser, de, theirSer, theirDe] of [
        [method.resolvedRequestType!, a.requestSerialize, a.requestDeserialize, b.requestSerialize, b.requestDeserialize],
        [method.resolvedResponseType!, a.responseSerialize, a.responseDeserialize, b.responseSerialize, b.responseDeserialize],
      ] as const) {
        for (const value of [{}, sample(type)]) {
          const bytes = ser(value);
          assert.deepEqual(bytes, theirSer(value), `${name}/${rpc} ${type.name}: encoding`);
          assert.deepEqual(de(bytes), theirDe(bytes), `${name}/${rpc} ${type.name}: decoding`);
          messages++;
        }
        assert.throws(() => ser([]), { message: `Failed to serialize message: expected object with ${type.name} structure, got array instead` });
      }
    }
  }
  // 88 methods (the sidecar's and the Dapr runtime's), 2 messages each, empty and full: all compared.
  assert.ok(messages >= 4 * 88, `${messages} messages compared`);
});
