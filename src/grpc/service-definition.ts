/**
 * @module grpc/service-definition
 * A grpc-js `ServiceDefinition` read from a protobuf.js JSON descriptor (proto/descriptors/*.json),
 * whose messages are encoded and decoded exactly as @grpc/proto-loader's `fromJSON` would do it —
 * the same protobuf.js calls on the same reflection types (`Type.fromObject` + `encode` to write,
 * `decode` + `toObject(options)` to read) — without proto-loader's work at start-up: it builds the
 * protobuf.js reflection tree of the whole file and a FileDescriptorProto of every message (for
 * gRPC reflection, which Swirl does not serve), about 0.1 s of CPU for the two services (issue 12).
 * Here the method table (paths, streaming) comes straight from the JSON, and protobuf.js with the
 * reflection tree loads with the first message a method of the service encodes or decodes.
 * test/grpc/proto-files.test.ts pins that every method's definition and the bytes and objects
 * of its messages equal proto-loader's.
 */
import { createRequire } from 'node:module';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { IConversionOptions, INamespace, Root, Type } from 'protobufjs';

/** A service in a protobuf.js JSON descriptor. */
interface ServiceJson {
  methods: Record<string, { requestType: string; responseType: string; requestStream?: boolean; responseStream?: boolean }>;
}

/** The JSON node at `fullName` ("dapr.proto.runtime.v1.Dapr") under `root`, if any. */
function nodeAt(root: INamespace, fullName: string): unknown {
  let node: unknown = root;
  for (const part of fullName.split('.')) node = (node as INamespace | undefined)?.nested?.[part];
  return node;
}

/** proto-loader's serializer (createSerializer): arrays are refused with its message. */
function serializer(type: () => Type): (arg: unknown) => Buffer {
  return (arg) => {
    const cls = type();
    if (Array.isArray(arg)) throw new Error(`Failed to serialize message: expected object with ${cls.name} structure, got array instead`);
    return cls.encode(cls.fromObject(arg as Record<string, unknown>)).finish() as Buffer;
  };
}

/** proto-loader's deserializer (createDeserializer). */
function deserializer(type: () => Type, options: IConversionOptions): (buf: Buffer) => unknown {
  return (buf) => {
    const cls = type();
    return cls.toObject(cls.decode(buf), options);
  };
}

/**
 * The definition of the service `fullName` in `json` (a protobuf.js `Root#toJSON()`), for
 * `grpc.Server#addService`; messages decode with `options` (proto-loader's conversion options).
 * @throws Error when `json` has no such service.
 */
export function serviceDefinition(json: INamespace, fullName: string, options: IConversionOptions): ServiceDefinition {
  const service = nodeAt(json, fullName) as ServiceJson | undefined;
  if (service?.methods === undefined) throw new Error(`the gRPC descriptor has no service ${fullName}`);
  let root: Root | undefined;
  const types = new Map<string, { request: Type; response: Type }>();
  /** The request and response types of `method`, resolved as proto-loader resolves them. */
  const typesOf = (method: string) => {
    let found = types.get(method);
    if (found === undefined) {
      if (root === undefined) {
        const protobuf = createRequire(import.meta.url)('protobufjs/light') as typeof import('protobufjs');
        root = protobuf.Root.fromJSON(json);
        root.resolveAll();
      }
      const m = root.lookupService(fullName).methods[method]!;
      found = { request: m.resolvedRequestType!, response: m.resolvedResponseType! };
      types.set(method, found);
    }
    return found;
  };
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(service.methods)) {
    const request = () => typesOf(name).request;
    const response = () => typesOf(name).response;
    def[name] = {
      path: `/${fullName}/${name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request, options),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response, options),
      // proto-loader's lodash.camelcase of an RPC name (PascalCase, letters and digits).
      originalName: name.charAt(0).toLowerCase() + name.slice(1),
    };
  }
  return def;
}
