// graphql functions (issue 16) through the interpreter, against a real GraphQL server (graphql-js
// schema served by graphql-http on 127.0.0.1): variables typed from introspection, the selection
// set with expressions, errors[] with extensions.code, retries, timeouts and auth headers.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, NoSchemaIntrospectionCustomRule, buildSchema } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/http';
import { run } from './harness.js';
import { validateText } from '../../src/definition/validate.js';

const SDL = `
  type Query {
    pets: [Pet]
    pet(id: Int!): Pet
    flaky: String
    slow: String
    secret(hint: String): String
  }
  type Mutation {
    createPet(pet: PetInput!): Pet
  }
  type Treat { id: Int! }
  type Age { years: Int, dogYears: Boolean }
  type Pet {
    id: Int!
    name: String!
    favoriteTreat: Treat
    age(useDogYears: Boolean): Age
  }
  input PetInput {
    id: Int!
    name: String!
    favoriteTreatId: Int
  }
`;

/** The node adapter hands over Node's header object (graphql-http types it as a `get`-able one). */
function headerOf(headers: unknown, name: string): string | undefined {
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return typeof v === 'string' ? v : undefined;
}
const authorizationOf = (headers: unknown) => headerOf(headers, 'authorization');

interface Seen {
  method: string;
  contentType?: string;
  operationName?: string | null;
  query: string;
  variables?: Record<string, unknown> | null;
  authorization?: string;
}

describe('graphql functions', () => {
  let server: Server;
  let endpoint = '';
  const seen: Seen[] = [];
  let flaky = 0;

  before(async () => {
    const pets = new Map<number, { id: number; name: string; favoriteTreatId?: number }>([[42, { id: 42, name: 'Snuffles', favoriteTreatId: 9001 }]]);
    const pet = (p: { id: number; name: string; favoriteTreatId?: number }) => ({
      ...p,
      favoriteTreat: p.favoriteTreatId !== undefined ? { id: p.favoriteTreatId } : null,
      age: ({ useDogYears }: { useDogYears?: boolean }) => ({ years: useDogYears ? 21 : 3, dogYears: useDogYears === true }),
    });
    const root = {
      pets: () => [...pets.values()].map(pet),
      pet: ({ id }: { id: number }) => {
        const p = pets.get(id);
        if (!p) throw new GraphQLError(`no pet ${id}`, { extensions: { code: 'PET_NOT_FOUND' } });
        return pet(p);
      },
      createPet: ({ pet: input }: { pet: { id: number; name: string; favoriteTreatId?: number } }) => {
        pets.set(input.id, input);
        return pet(input);
      },
      flaky: () => {
        if (flaky++ < 2) throw new GraphQLError('try again', { extensions: { code: 'UNAVAILABLE' } });
        return 'ok';
      },
      slow: () => new Promise((r) => setTimeout(() => r('late'), 1500).unref()),
      secret: (_args: unknown, ctx: { authorization?: string }) => {
        if (ctx.authorization !== 'Bearer gql-token') throw new GraphQLError('unauthenticated', { extensions: { code: 'UNAUTHENTICATED' } });
        return 'the secret';
      },
    };
    const handler = createHandler({
      schema: buildSchema(SDL),
      rootValue: root,
      context: (req) => ({ authorization: authorizationOf(req.headers) }),
      onSubscribe: (req, params) => {
        seen.push({ method: req.method, contentType: headerOf(req.headers, 'content-type'), operationName: params.operationName, query: params.query, variables: params.variables, authorization: authorizationOf(req.headers) });
      },
    });
    // The same schema with introspection refused, as production servers often configure it.
    const closed = createHandler({
      schema: buildSchema(SDL),
      rootValue: root,
      validationRules: (_req, _args, rules) => [...rules, NoSchemaIntrospectionCustomRule],
      onSubscribe: (req, params) => {
        seen.push({ method: req.method, contentType: headerOf(req.headers, 'content-type'), operationName: params.operationName, query: params.query, variables: params.variables, authorization: authorizationOf(req.headers) });
      },
    });
    server = createServer((req, res) => {
      // A gateway in front of the GraphQL server failing without a GraphQL body.
      if (req.url === '/broken') return void res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
      void (req.url === '/closed' ? closed(req, res) : handler(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
  });

  const calls = () => seen.filter((s) => s.operationName === 'SwirlCall');
  const fns = () => [
    { name: 'getOnePet', type: 'graphql', operation: `${endpoint}#query#pet` },
    { name: 'createPet', type: 'graphql', operation: `${endpoint}#mutation#createPet` },
    { name: 'flaky', type: 'graphql', operation: `${endpoint}#query#flaky` },
    { name: 'slow', type: 'graphql', operation: `${endpoint}#query#slow` },
    { name: 'secret', type: 'graphql', operation: `${endpoint}#query#secret`, authRef: 'token' },
  ];
  const one = (id: string, action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id, functions: fns(), auth: [{ name: 'token', scheme: 'bearer', properties: { token: 'none' } }], ...extra, states: [{ name: 'Call', type: 'operation', actions: [action], end: true }] });

  it('a query: arguments travel as variables typed from the schema, the result is the data (spec example)', async () => {
    const r = await run(one('gqlquery', { functionRef: { refName: 'getOnePet', arguments: { id: '${ .petId }' }, selectionSet: '{ id, name, favoriteTreat { id } }' } }), { petId: 42 });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { petId: 42, pet: { id: 42, name: 'Snuffles', favoriteTreat: { id: 9001 } } });
    const [call] = calls();
    assert.equal(call!.query, 'query SwirlCall($id: Int!) { pet(id: $id) { id, name, favoriteTreat { id } } }');
    assert.deepEqual(call!.variables, { id: 42 });
    // POSTed as JSON (a query too: a GET would put the variables in the URL).
    assert.equal(call!.method, 'POST');
    assert.match(call!.contentType ?? '', /^application\/json/);
    // The variable types came from the schema, read by introspection before the call.
    assert.ok(seen.findIndex((s) => s.operationName === 'SwirlIntrospection') < seen.indexOf(call!));
  });

  it('a mutation with an input object; a value that looks like GraphQL is data, not document', async () => {
    const name = 'Sadaharu") { id } } mutation X { createPet(pet: {id: 1, name: "evil"';
    const r = await run(one('gqlmutation', { functionRef: { refName: 'createPet', arguments: { pet: { id: 43, name, favoriteTreatId: 9001 } }, selectionSet: '{ id, name, favoriteTreat { id } }' } }), {});
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { createPet: { id: 43, name, favoriteTreat: { id: 9001 } } });
    assert.equal(calls()[0]!.query, 'mutation SwirlCall($pet: PetInput!) { createPet(pet: $pet) { id, name, favoriteTreat { id } } }');
  });

  it('expressions inside the selection set are evaluated before the call', async () => {
    const r = await run(
      one('gqlselection', { functionRef: { refName: 'getOnePet', arguments: { id: 42 }, selectionSet: '{ name, age(useDogYears: ${ .isPetADog }) { years, dogYears } }' }, actionDataFilter: { toStateData: '${ .result }' } }),
      { isPetADog: true },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual((r.output as { result: unknown }).result, { pet: { name: 'Snuffles', age: { years: 21, dogYears: true } } });
    assert.match(calls()[0]!.query, /age\(useDogYears: true\)/);
  });

  it('errors[] fail the action with the first extensions.code, which errors definitions match', async () => {
    const def = one('gqlerror', { name: 'fetch', functionRef: { refName: 'getOnePet', arguments: { id: 7 }, selectionSet: '{ id }' } });
    const failed = await run(def, {});
    assert.equal(failed.runtimeStatus, 'FAILED');
    assert.equal(failed.failure?.code, 'PET_NOT_FOUND');
    assert.match(failed.failure!.message, /graphql query 'pet' at http:\/\/127\.0\.0\.1:\d+\/graphql failed: no pet 7/);
    const handled = one('gqlhandled', { functionRef: { refName: 'getOnePet', arguments: { id: 7 }, selectionSet: '{ id }' } }, { errors: [{ name: 'NoPet', code: 'PET_NOT_FOUND' }] }) as { states: Record<string, unknown>[] };
    handled.states[0]!.onErrors = [{ errorRef: 'NoPet', transition: 'Missing' }];
    handled.states.push({ name: 'Missing', type: 'inject', data: { missing: true }, end: true });
    assert.deepEqual((await run(handled, {})).output, { missing: true });
  });

  it('an error code listed in retryableErrors is retried', async () => {
    flaky = 0;
    const r = await run(one('gqlretry', { functionRef: { refName: 'flaky', arguments: {} }, retryRef: 'r', retryableErrors: ['Busy'] }, { errors: [{ name: 'Busy', code: 'UNAVAILABLE' }], retries: [{ name: 'r', maxAttempts: 4, delay: 'PT0.01S' }] }), {});
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { flaky: 'ok' });
    assert.equal(calls().length, 3);
  });

  it('an HTTP failure without a GraphQL body is its status code; a server that does not answer is NETWORK_ERROR', async () => {
    const broken = endpoint.replace(/\/graphql$/, '/broken');
    const def = {
      id: 'gqlhttp',
      functions: [{ name: 'broken', type: 'graphql', operation: `${broken}#query#flaky` }],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'broken', arguments: {} } }], end: true }],
    };
    const failed = await run(def, {});
    assert.equal(failed.runtimeStatus, 'FAILED');
    assert.equal(failed.failure?.code, '502');
    assert.match(failed.failure!.message, /POST http:\/\/127\.0\.0\.1:\d+\/broken returned HTTP 502/);
    const down = await run({ ...def, id: 'gqldown', functions: [{ name: 'broken', type: 'graphql', operation: 'http://127.0.0.1:1/graphql#query#flaky' }] }, {});
    assert.equal(down.runtimeStatus, 'FAILED');
    assert.equal(down.failure?.code, 'NETWORK_ERROR');
    assert.match(down.failure!.message, /POST http:\/\/127\.0\.0\.1:1\/graphql: .*ECONNREFUSED/);
  });

  it('the actionExecTimeout bounds the call', async () => {
    const r = await run({ ...one('gqlslow', { functionRef: { refName: 'slow', arguments: {} } }), timeouts: { actionExecTimeout: 'PT0.3S' } }, {});
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'timeout');
  });

  it('auth definitions apply: the bearer token is sent with the introspection and the call', async () => {
    const def = one('gqlauth', { functionRef: { refName: 'secret', arguments: { hint: 'x' } } }, { secrets: ['GQL_TOKEN'], auth: [{ name: 'token', scheme: 'bearer', properties: { token: '${ $SECRETS.GQL_TOKEN }' } }] });
    const r = await run(def, {}, { secrets: { GQL_TOKEN: 'gql-token' } });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { secret: 'the secret' });
    assert.deepEqual(calls().map((s) => s.authorization), ['Bearer gql-token']);
    // The schema this call's variables are typed by was read with the same credentials.
    assert.ok(seen.some((s) => s.operationName === 'SwirlIntrospection' && s.authorization === 'Bearer gql-token'));
  });

  it('validation introspects the endpoint: an unknown field or argument is a diagnostic with did-you-mean', async () => {
    const def = one('gqlbad', { functionRef: { refName: 'getOnePet', arguments: { idd: 1 }, selectionSet: '{ id }' } }) as { functions: unknown[]; states: { actions: unknown[] }[] };
    def.functions.push({ name: 'typo', type: 'graphql', operation: `${endpoint}#query#flaki` }, { name: 'gone', type: 'graphql', operation: 'http://127.0.0.1:1/graphql#query#pet' });
    def.states[0]!.actions.push({ functionRef: { refName: 'typo', arguments: {} } }, { functionRef: { refName: 'gone', arguments: {} } });
    await assert.rejects(run(def, {}), (e: Error & { code?: string; diagnostics?: { code: string; severity: string; message: string }[] }) => {
      assert.equal(e.code, 'INVALID_DEFINITION');
      assert.match(e.message, /UNKNOWN_ARGUMENT argument 'idd' is not an argument of the graphql field of 'getOnePet'; did you mean 'id'\?/);
      assert.match(e.message, /UNKNOWN_FIELD graphql endpoint 'http:\/\/127\.0\.0\.1:\d+\/graphql' has no query field 'flaki'; did you mean 'flaky'\?/);
      // An endpoint that does not answer is checked at the first call instead.
      assert.deepEqual(e.diagnostics!.filter((d) => d.code === 'GRAPHQL_UNREACHABLE').map((d) => d.severity), ['warning']);
      return true;
    });
    assert.equal(calls().length, 0);
  });

  it('with credentials the endpoint is checked at the first call: an unknown argument is refused before the call', async () => {
    const def = one('gqlbadarg', { functionRef: { refName: 'authedPet', arguments: { petId: 1 }, selectionSet: '{ id }' } }) as { functions: unknown[] };
    def.functions.push({ name: 'authedPet', type: 'graphql', operation: `${endpoint}#query#pet`, authRef: 'token' });
    const r = await run(def, {});
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'INVALID_ARGUMENTS');
    assert.match(r.failure!.message, /graphql query 'pet' has no argument 'petId' \(its arguments: id\)/);
    assert.equal(calls().length, 0);
  });

  it('an endpoint without introspection: metadata.argumentTypes gives the variables their types', async () => {
    const closed = endpoint.replace(/\/graphql$/, '/closed');
    const def = {
      id: 'gqlclosed',
      functions: [
        { name: 'typed', type: 'graphql', operation: `${closed}#query#pet`, metadata: { argumentTypes: 'id: Int!' } },
        { name: 'untyped', type: 'graphql', operation: `${closed}#query#pet`, authRef: 'token' },
      ],
      auth: [{ name: 'token', scheme: 'bearer', properties: { token: 'none' } }],
      states: [
        { name: 'Typed', type: 'operation', actions: [{ functionRef: { refName: 'typed', arguments: { id: 42 }, selectionSet: '{ name }' } }], transition: 'Untyped' },
        { name: 'Untyped', type: 'operation', actions: [{ functionRef: { refName: 'untyped', arguments: { id: 42 }, selectionSet: '{ name }' } }], end: true },
      ],
    };
    const r = await run(def, {});
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(calls()[0]!.query, 'query SwirlCall($id: Int!) { pet(id: $id) { name } }');
    assert.deepEqual(r.failure && { code: r.failure.code }, { code: 'GRAPHQL_INTROSPECTION_FAILED' });
    assert.match(r.failure!.message, /graphql endpoint http:\/\/127\.0\.0\.1:\d+\/closed does not answer introspection, which gives the types of the variables: GraphQL introspection has been disabled/);
    // The first state's call succeeded with the declared types.
    assert.equal(calls().length, 1);
  });

  it('validation: a metadata.argumentTypes that does not parse, or that lacks an argument, is a diagnostic', async () => {
    const def = {
      id: 'gqltypesbad',
      functions: [
        { name: 'broken', type: 'graphql', operation: `${endpoint}#query#pet`, metadata: { argumentTypes: 'id Int!' } },
        { name: 'partial', type: 'graphql', operation: `${endpoint}#query#pet`, metadata: { argumentTypes: 'id: Int!' } },
      ],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'broken', arguments: { id: 1 } } }, { functionRef: { refName: 'partial', arguments: { id: 1, ide: 2 } } }], end: true }],
    };
    await assert.rejects(run(def, {}), (e: Error) => {
      assert.match(e.message, /INVALID_ARGUMENT_TYPES function 'broken': metadata\.argumentTypes: 'id Int!' is not 'name: Type'/);
      assert.match(e.message, /UNKNOWN_ARGUMENT argument 'ide' is not an argument of the graphql field of 'partial'; did you mean 'id'\?/);
      return true;
    });
  });

  it('validation sends no introspection where the reach policy does not let a definition read', async () => {
    const def = { id: 'gqlreach', specVersion: '0.8', functions: [{ name: 'typo', type: 'graphql', operation: `${endpoint}#query#flaki` }], states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'typo', arguments: { x: 1 } } }], end: true }] };
    const closedPolicy = await validateText(JSON.stringify(def), '<input>', { unanchored: true, reach: { urlPrefixes: [] } });
    assert.deepEqual(closedPolicy.diagnostics, []);
    assert.equal(seen.length, 0);
    const allowed = await validateText(JSON.stringify(def), '<input>', { unanchored: true, reach: { urlPrefixes: [endpoint] } });
    assert.deepEqual(allowed.diagnostics.map((d) => d.code), ['UNKNOWN_FIELD']);
    assert.equal(seen.length, 1);
  });
});
