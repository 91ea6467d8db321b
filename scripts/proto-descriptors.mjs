#!/usr/bin/env node
// Writes proto/descriptors/*.json: the protobuf.js JSON form of the services `swirl serve` offers
// over gRPC, parsed from the .proto files of proto/ exactly as @grpc/proto-loader's loadSync parses
// them. src/grpc/proto.ts loads these with proto-loader's fromJSON, which skips parsing the .proto
// text at every start (issue 12: start-up CPU). The .proto files stay the source: after changing
// them run `node scripts/proto-descriptors.mjs`; test/grpc/proto-files.test.ts fails while the
// JSON is stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { loadProtosWithOptionsSync } = require('@grpc/proto-loader/build/src/util.js');

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
/** Parse options that change what is parsed (field names); the rest apply when loading the JSON. */
const PARSE = { keepCase: true };

/** The descriptors: output file → how proto-loader's loadSync is called for it. */
export const DESCRIPTORS = [
  { json: join(PROTO_DIR, 'descriptors', 'taskhub.json'), proto: join(PROTO_DIR, 'durabletask', 'orchestrator_service.proto'), includeDirs: [] },
  { json: join(PROTO_DIR, 'descriptors', 'dapr-runtime.json'), proto: 'dapr/proto/runtime/v1/dapr.proto', includeDirs: [join(PROTO_DIR, 'dapr')] },
];

/** The JSON text of one descriptor, as written to its file. */
export function descriptorText(d) {
  const root = loadProtosWithOptionsSync(d.proto, { ...PARSE, includeDirs: d.includeDirs });
  return JSON.stringify(root.toJSON()) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const d of DESCRIPTORS) {
    writeFileSync(d.json, descriptorText(d));
    console.log(`wrote ${d.json}`);
  }
}
