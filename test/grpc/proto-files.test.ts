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
