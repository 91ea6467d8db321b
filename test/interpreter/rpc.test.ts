// rpc functions (issue 16) through the interpreter, against a real grpc-js server built from the
// .proto fixture (test/fixtures/rpc): request by field name, proto3 JSON response, status codes,
// retries, deadlines, auth metadata, and the validation diagnostics.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { run } from './harness.js';
import { validateText } from '../../src/definition/validate.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/rpc/', import.meta.url));
const TOKEN = 'grpc-token-42';

interface Seen {
  method: string;
  /** When the handler ran (the server's clock, after it read the deadline from grpc-timeout). */
  at: number;
  request: Record<string, unknown>;
  authorization?: string;
  idempotencyKey?: string;
  deadline?: number;
  cancelled?: boolean;
}

describe('rpc functions (gRPC)', () => {
  let server: Server;
  let address = '';
  const seen: Seen[] = [];
  let flaky = 0;

  before(async () => {
    const def = loadSync(join(FIXTURES, 'pets.proto'), { keepCase: true, longs: String, enums: String, defaults: true, includeDirs: [FIXTURES] });
    server = new Server();
    const record = (method: string, call: ServerUnaryCall<Record<string, unknown>, unknown>): Seen => {
      const d = call.getDeadline();
      const s: Seen = {
        method,
        at: Date.now(),
        request: call.request,
        authorization: call.metadata.get('authorization')[0] as string | undefined,
        idempotencyKey: call.metadata.get('idempotency-key')[0] as string | undefined,
        ...(Number.isFinite(Number(d)) ? { deadline: Number(d) } : {}),
      };
      seen.push(s);
      return s;
    };
    server.addService(def['pets.v1.PetService'] as ServiceDefinition, {
      GetPet(call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) {
        const s = record('GetPet', call);
        const id = String(call.request.pet_id);
        if (id === '404') return cb({ code: status.NOT_FOUND, details: 'no pet 404' });
        if (id === '503' && flaky++ < 2) return cb({ code: status.UNAVAILABLE, details: 'warming up' });
        if (id === '999') {
          // Slow: answers after the caller's deadline; the cancellation shows the deadline travelled.
          call.on('cancelled', () => (s.cancelled = true));
          setTimeout(() => cb(null, { pet_id: '999', name: 'late' }), 1500).unref();
          return;
        }
        cb(null, { pet_id: id, name: 'Rex', kind: 'DOG', born: { seconds: '1700000000', nanos: 500_000_000 }, owner: { full_name: 'Ada' }, tags: ['good'] });
      },
      CreatePet(call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) {
        record('CreatePet', call);
        cb(null, { pet_id: '9007199254740993', name: call.request.name, kind: call.request.kind, owner: call.request.owner, born: call.request.born });
      },
      WatchPets() {},
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());
  beforeEach(() => {
    seen.length = 0;
  });

  const fn = (name: string, method: string, extra: Record<string, unknown> = {}) => ({ name, type: 'rpc', operation: `pets.proto#PetService#${method}`, metadata: { address }, ...extra });
  const one = (id: string, action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id,
    functions: [fn('getPet', 'GetPet'), fn('createPet', 'CreatePet')],
    ...extra,
    states: [{ name: 'Call', type: 'operation', actions: [action], end: true }],
  });

  it('sends the arguments as the request message and returns the response in the proto3 JSON mapping', async () => {
    const r = await run(one('rpcget', { functionRef: { refName: 'getPet', arguments: { pet_id: '${ .id }', verbose: true } }, actionDataFilter: { toStateData: '${ .pet }' } }), { id: 7 }, { baseDir: FIXTURES });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    // int64 as a string, the enum by name, Timestamp as RFC 3339, lowerCamelCase names, defaults present.
    assert.deepEqual((r.output as { pet: unknown }).pet, { petId: '7', name: 'Rex', kind: 'DOG', born: '2023-11-14T22:13:20.500Z', owner: { fullName: 'Ada' }, tags: ['good'], visits: 0 });
    assert.deepEqual(seen[0]!.request, { pet_id: '7', verbose: true });
    assert.match(seen[0]!.idempotencyKey ?? '', /:/);
  });

  it("the spec's file:// form names the proto file relative to the workflow (with its imports)", async () => {
    const def = {
      id: 'rpcfileuri',
      functions: [fn('getPet', 'GetPet', { operation: 'file://pets.proto#pets.v1.PetService#GetPet' })],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'getPet', arguments: { petId: '5' } }, actionDataFilter: { results: '${ {id: .petId, owner: .owner.fullName} }' } }], end: true }],
    };
    const r = await run(def, {}, { baseDir: FIXTURES });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { id: '5', owner: 'Ada' });
  });

  it('maps nested messages, enums, well-known types and lowerCamelCase argument names', async () => {
    const r = await run(
      one('rpccreate', { functionRef: { refName: 'createPet', arguments: { name: 'Tom', kind: 'CAT', owner: { fullName: 'Bea' }, born: '2024-01-02T03:04:05Z' } } }),
      {},
      { baseDir: FIXTURES },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(seen[0]!.request, { name: 'Tom', kind: 'CAT', owner: { full_name: 'Bea' }, born: { seconds: '1704164645', nanos: 0 } });
    // A 64-bit id beyond 2^53 survives as text.
    assert.deepEqual(r.output, { petId: '9007199254740993', name: 'Tom', kind: 'CAT', owner: { fullName: 'Bea' }, born: '2024-01-02T03:04:05Z', tags: [], visits: 0 });
  });

  it('a gRPC status is the error code: NOT_FOUND fails the workflow, or is caught by an errors definition with that code', async () => {
    const def = (handled: boolean) =>
      one('rpc404' + String(handled), { name: 'fetch', functionRef: { refName: 'getPet', arguments: { petId: '404' } } }, { errors: [{ name: 'NoPet', code: 'NOT_FOUND' }] });
    const failed = await run(def(false), {}, { baseDir: FIXTURES });
    assert.equal(failed.runtimeStatus, 'FAILED');
    assert.equal(failed.failure?.code, 'NOT_FOUND');
    assert.match(failed.failure!.message, /rpc pets\.v1\.PetService\/GetPet at 127\.0\.0\.1:\d+ failed: NOT_FOUND: no pet 404/);
    const handled = def(true) as { states: Record<string, unknown>[] };
    handled.states[0]!.onErrors = [{ errorRef: 'NoPet', transition: 'Missing' }];
    handled.states.push({ name: 'Missing', type: 'inject', data: { missing: true }, end: true });
    const ok = await run(handled, {}, { baseDir: FIXTURES });
    assert.deepEqual(ok.output, { missing: true });
  });

  it('UNAVAILABLE is retried by the retry definition until the server answers', async () => {
    flaky = 0;
    const r = await run(
      one('rpcretry', { functionRef: { refName: 'getPet', arguments: { petId: '503' } }, retryRef: 'r', retryableErrors: ['Unavailable'], actionDataFilter: { results: '${ .name }', toStateData: '${ .name }' } }, {
        errors: [{ name: 'Unavailable', code: 'UNAVAILABLE' }],
        retries: [{ name: 'r', maxAttempts: 4, delay: 'PT0.01S' }],
      }),
      {},
      { baseDir: FIXTURES },
    );
    assert.deepEqual(r.output, { name: 'Rex' });
    assert.equal(seen.filter((s) => s.method === 'GetPet').length, 3);
  });

  it('the actionExecTimeout is the gRPC deadline: the server sees it and the call is cancelled when it passes', async () => {
    const r = await run(
      { ...one('rpcslow', { functionRef: { refName: 'getPet', arguments: { petId: '999' } } }), timeouts: { actionExecTimeout: 'PT0.3S' } },
      {},
      { baseDir: FIXTURES },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    // Whichever fires first: the workflow's action timer or the call's own deadline.
    assert.ok(['timeout', 'DEADLINE_EXCEEDED'].includes(r.failure!.code!), r.failure!.code);
    const call = seen.find((s) => s.method === 'GetPet')!;
    // The call carried a deadline of at most the action's 300 ms: sent as what remained of it, the
    // server's deadline is at most 300 ms after the handler ran (+5 ms for grpc-timeout's rounding),
    // however slow the machine (no bound on how long anything took).
    assert.ok(call.deadline !== undefined && call.deadline - call.at <= 305, `deadline ${call.deadline}, handler at ${call.at}`);
    // The server sees the call cancelled once the deadline passed (waited for, not slept for).
    for (const end = Date.now() + 30_000; call.cancelled !== true && Date.now() < end; ) await new Promise((res) => setTimeout(res, 20));
    assert.equal(call.cancelled, true);
  });

  it('auth definitions become the authorization metadata (bearer from a secret, basic)', async () => {
    const auth = [
      { name: 'token', scheme: 'bearer', properties: { token: '${ $SECRETS.PET_TOKEN }' } },
      { name: 'pw', scheme: 'basic', properties: { username: 'ann', password: 's3cret' } },
    ];
    const def = {
      id: 'rpcauth',
      secrets: ['PET_TOKEN'],
      auth,
      functions: [fn('bearerPet', 'GetPet', { authRef: 'token' }), fn('basicPet', 'GetPet', { authRef: 'pw' })],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'bearerPet', arguments: { petId: '1' } } }, { functionRef: { refName: 'basicPet', arguments: { petId: '2' } } }], end: true }],
    };
    const r = await run(def, {}, { baseDir: FIXTURES, secrets: { PET_TOKEN: TOKEN } });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(
      seen.map((s) => s.authorization),
      [`Bearer ${TOKEN}`, `Basic ${Buffer.from('ann:s3cret').toString('base64')}`],
    );
  });

  it('an oauth2 definition becomes a bearer token in the metadata (client credentials, one token request); metadata.invocationAuthRef wins over authRef', async () => {
    const tokens: URLSearchParams[] = [];
    const issuer: HttpServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tokens.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'grpc-oauth-1', token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
    try {
      const authority = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/token`;
      const def = {
        id: 'rpcoauth',
        secrets: ['CLIENT_SECRET'],
        auth: [
          { name: 'oauth', scheme: 'oauth2', properties: { grantType: 'clientCredentials', authority, clientId: 'swirl', clientSecret: '${ $SECRETS.CLIENT_SECRET }', scopes: ['pets'] } },
          { name: 'pw', scheme: 'basic', properties: { username: 'ann', password: 's3cret' } },
        ],
        functions: [fn('oauthPet', 'GetPet', { authRef: 'pw', metadata: { address, invocationAuthRef: 'oauth' } })],
        states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'oauthPet', arguments: { petId: '1' } } }, { functionRef: { refName: 'oauthPet', arguments: { petId: '2' } } }], end: true }],
      };
      const r = await run(def, {}, { baseDir: FIXTURES, secrets: { CLIENT_SECRET: 'cl1ent' } });
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      assert.deepEqual(seen.map((s) => s.authorization), ['Bearer grpc-oauth-1', 'Bearer grpc-oauth-1']);
      assert.equal(tokens.length, 1, 'the token is cached for the second call');
      assert.equal(tokens[0]!.get('grant_type'), 'client_credentials');
      assert.equal(tokens[0]!.get('scope'), 'pets');
    } finally {
      await new Promise<void>((r) => issuer.close(() => r()));
    }
  });

  it('validation loads the proto: unknown service, method and argument names, streaming methods and a missing address are diagnostics', async () => {
    const def = {
      id: 'rpcbad',
      functions: [
        fn('badService', 'GetPet', { operation: 'pets.proto#PetServise#GetPet' }),
        fn('badMethod', 'GetPett'),
        fn('streams', 'WatchPets'),
        { name: 'noAddress', type: 'rpc', operation: 'pets.proto#PetService#GetPet' },
        fn('missingFile', 'GetPet', { operation: 'nope.proto#PetService#GetPet' }),
        fn('good', 'GetPet'),
      ],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'good', arguments: { petID: '1', verbose: true } } }], end: true }],
    };
    await assert.rejects(run(def, {}, { baseDir: FIXTURES }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_DEFINITION');
      assert.match(e.message, /UNKNOWN_SERVICE service 'PetServise' is not in the proto file 'pets\.proto'; did you mean 'PetService'\?/);
      assert.match(e.message, /UNKNOWN_METHOD method 'GetPett' is not in service 'pets\.v1\.PetService'; did you mean 'GetPet'\?/);
      assert.match(e.message, /UNSUPPORTED_RPC_STREAMING method 'pets\.v1\.PetService\/WatchPets' streams \(response\)/);
      assert.match(e.message, /RPC_NO_ADDRESS function 'noAddress': an rpc function needs metadata\.address/);
      assert.match(e.message, /FILE_NOT_FOUND cannot load the proto file of this rpc function from 'nope\.proto': no such file/);
      assert.match(e.message, /UNKNOWN_ARGUMENT argument 'petID' is not a field of the request message of 'good'; did you mean 'petId'\?/);
      return true;
    });
  });

  it('a proto file at an http URL is fetched with the files it imports by validation, then once by the caller, and cached', async () => {
    const fetched: string[] = [];
    const files: HttpServer = createServer((req, res) => {
      fetched.push(req.url!);
      const name = req.url!.replace(/^\/protos\//, '');
      if (!['pets.proto', 'owner.proto'].includes(name)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(join(FIXTURES, name)));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/protos/pets.proto`;
      const def = {
        id: 'rpcremote',
        functions: [{ name: 'getPet', type: 'rpc', operation: `${url}#pets.v1.PetService#GetPet`, metadata: { address } }],
        states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'getPet', arguments: { petId: '1' } }, actionDataFilter: { results: '${ .owner }', toStateData: '${ .first }' } }, { functionRef: { refName: 'getPet', arguments: { petId: '2' } }, actionDataFilter: { results: '${ .petId }', toStateData: '${ .second }' } }], end: true }],
      };
      const r = await run(def, {});
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      assert.deepEqual(r.output, { first: { fullName: 'Ada' }, second: '2' });
      // Validation (its own private copy), then the first call; the second call uses the cache.
      assert.deepEqual(fetched, ['/protos/pets.proto', '/protos/owner.proto', '/protos/pets.proto', '/protos/owner.proto']);
    } finally {
      await new Promise<void>((r) => files.close(() => r()));
    }
  });

  it('validation checks a remote proto (with its imports) through the reach policy; an unreachable one is RPC_PROTO_UNREACHABLE', async () => {
    const fetched: string[] = [];
    const files: HttpServer = createServer((req, res) => {
      fetched.push(req.url!);
      const name = req.url!.replace(/^\/protos\//, '');
      if (!['pets.proto', 'owner.proto'].includes(name)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(join(FIXTURES, name)));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
      const url = `${base}/protos/pets.proto`;
      // A port nothing listens on (taken, then released).
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const downPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const rpc = (name: string, operation: string) => ({ name, type: 'rpc', operation, metadata: { address: '127.0.0.1:1' } });
      const def = {
        id: 'rpcremotecheck',
        specVersion: '0.8',
        functions: [rpc('good', `${url}#PetService#GetPet`), rpc('badMethod', `${url}#PetService#GetPett`), rpc('gone', `${base}/protos/gone.proto#PetService#GetPet`), rpc('down', `http://127.0.0.1:${downPort}/pets.proto#PetService#GetPet`)],
        states: [{ name: 'Call', type: 'operation', actions: ['good', 'badMethod', 'gone', 'down'].map((refName) => ({ functionRef: { refName, arguments: refName === 'good' ? { petID: '1' } : {} } })), end: true }],
      };
      const r = await validateText(JSON.stringify(def), 'remote.json');
      const found = r.diagnostics.map((d) => [d.severity, d.code, d.pointer]);
      assert.deepEqual(found, [
        ['error', 'UNKNOWN_METHOD', '/functions/1/operation'],
        ['warning', 'RPC_PROTO_UNREACHABLE', '/functions/2/operation'],
        ['warning', 'RPC_PROTO_UNREACHABLE', '/functions/3/operation'],
        ['error', 'UNKNOWN_ARGUMENT', '/states/0/actions/0/functionRef/arguments/petID'],
      ]);
      const message = (code: string, pointer: string) => r.diagnostics.find((d) => d.code === code && d.pointer === pointer)!.message;
      assert.match(message('UNKNOWN_METHOD', '/functions/1/operation'), /method 'GetPett' is not in service 'pets\.v1\.PetService'; did you mean 'GetPet'\?/);
      assert.match(message('UNKNOWN_ARGUMENT', '/states/0/actions/0/functionRef/arguments/petID'), /did you mean 'petId'\?/);
      assert.match(message('RPC_PROTO_UNREACHABLE', '/functions/2/operation'), /gone\.proto' failed with HTTP 404/);
      assert.match(message('RPC_PROTO_UNREACHABLE', '/functions/3/operation'), new RegExp(`cannot fetch 'http://127\\.0\\.0\\.1:${downPort}/pets\\.proto': ECONNREFUSED`));
      // The imported owner.proto was fetched too (the request message uses it), each file once.
      assert.deepEqual(fetched.sort(), ['/protos/gone.proto', '/protos/owner.proto', '/protos/pets.proto']);

      // Through a server's reach policy: an allowed prefix is fetched and checked; any other URL is
      // refused before a request is made.
      fetched.length = 0;
      const allowed = await validateText(JSON.stringify({ ...def, functions: def.functions.slice(0, 2) , states: [{ ...def.states[0]!, actions: def.states[0]!.actions.slice(0, 2) }] }), '<input>', { unanchored: true, reach: { urlPrefixes: [`${base}/protos/`] } });
      assert.deepEqual(allowed.diagnostics.map((d) => d.code), ['UNKNOWN_METHOD', 'UNKNOWN_ARGUMENT']);
      assert.deepEqual(fetched.sort(), ['/protos/owner.proto', '/protos/pets.proto']);
      fetched.length = 0;
      const refused = await validateText(JSON.stringify({ ...def, functions: def.functions.slice(0, 1), states: [{ ...def.states[0]!, actions: def.states[0]!.actions.slice(0, 1) }] }), '<input>', { unanchored: true, reach: { urlPrefixes: ['https://protos.example.com/'] } });
      assert.deepEqual(refused.diagnostics.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', '/functions/0/operation']]);
      assert.deepEqual(fetched, []);
    } finally {
      await new Promise<void>((r) => files.close(() => r()));
    }
  });

  it('a definition registered without a location must name its proto file absolutely (RELATIVE_REFERENCE)', async () => {
    const def = { id: 'rpcapi', specVersion: '0.8', functions: [fn('getPet', 'GetPet')], states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: 'getPet' }], end: true }] };
    const relative = await validateText(JSON.stringify(def), '<input>', { unanchored: true });
    assert.deepEqual(relative.diagnostics.map((d) => [d.code, d.pointer]), [['RELATIVE_REFERENCE', '/functions/0/operation']]);
    const absolute = { ...def, functions: [fn('getPet', 'GetPet', { operation: `${join(FIXTURES, 'pets.proto')}#PetService#GetPet` })] };
    assert.deepEqual((await validateText(JSON.stringify(absolute), '<input>', { unanchored: true })).diagnostics, []);
  });
});
