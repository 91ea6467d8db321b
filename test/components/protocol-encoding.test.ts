// The encodings of the rpc, graphql and odata callers that their end-to-end tests do not reach
// (test/interpreter/{rpc,graphql,odata}.test.ts): compound odata keys, GraphQL type text and
// literals, the proto3 JSON forms of Timestamp and Duration, operation grammars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { keySegment, odataUrl, queryString } from '../../src/components/odata/index.js';
import { buildDocument, parseGraphqlOperation } from '../../src/components/graphql/index.js';
import { typeText } from '../../src/components/graphql/schema.js';
import { parseRpcOperation } from '../../src/components/rpc/index.js';
import { fromMessage, toMessage } from '../../src/components/rpc/json.js';
import { loadProto, protoImports } from '../../src/components/rpc/proto.js';
import { graphqlLiteral } from '../../src/interpreter/selection-set.js';

test('odata keys: numbers bare, strings quoted with doubled quotes, compound keys by name', () => {
  assert.equal(keySegment(42), '(42)');
  assert.equal(keySegment("O'Brien"), "('O''Brien')");
  assert.equal(keySegment({ OrderID: 1, ProductID: 'a b' }), "(OrderID=1,ProductID='a%20b')");
  assert.throws(() => keySegment([1]), /key must be a string, a number or a boolean/);
});

test('odata query options: $-prefixed, encoded, checked', () => {
  assert.equal(queryString({ orderBy: 'Name desc', schemaVersion: '1.0', count: false }), '$orderby=Name%20desc&$schemaversion=1.0&$count=false');
  assert.throws(() => queryString({ top: -1 }), /'top' must be a non-negative integer/);
  assert.throws(() => queryString({ count: 'yes' }), /'count' must be a boolean/);
  assert.throws(() => queryString({ where: 'x' }), /unknown odata query option 'where'/);
  assert.equal(odataUrl('https://h/svc/#People', { id: 'russell' }), "https://h/svc/People('russell')");
  assert.throws(() => odataUrl('https://h/svc#People', { key: 1, filter: 'x' }), /odata arguments are 'key' and 'queryOptions'/);
});

test('graphql: operation grammar, variable type text, the document, literals', () => {
  assert.deepEqual(parseGraphqlOperation('https://h/graphql#mutation#createPet'), { endpoint: 'https://h/graphql', kind: 'mutation', field: 'createPet' });
  assert.equal(parseGraphqlOperation('https://h/graphql#subscription#x'), undefined);
  const nn = (t: object) => ({ kind: 'NON_NULL', name: null, ofType: t });
  const list = (t: object) => ({ kind: 'LIST', name: null, ofType: t });
  const named = (name: string) => ({ kind: 'SCALAR', name, ofType: null });
  assert.equal(typeText(nn(list(nn(named('Int')))) as never), '[Int!]!');
  assert.equal(buildDocument('query', 'pets', [], {}, 'id name'), 'query SwirlCall { pets { id name } }');
  assert.equal(buildDocument('query', 'now', [], {}), 'query SwirlCall { now }');
  assert.equal(graphqlLiteral({ a: 'x"y', b: [1, true, null] }), '{a: "x\\"y", b: [1, true, null]}');
});

test('rpc: operation grammar, imports, Timestamp and Duration both ways', async () => {
  assert.deepEqual(parseRpcOperation('file://a/b.proto#pkg.Svc#Do'), { uri: 'file://a/b.proto', service: 'pkg.Svc', method: 'Do' });
  assert.equal(parseRpcOperation('b.proto#Svc'), undefined);
  assert.deepEqual(protoImports('import "a.proto";\n  import public "b/c.proto";\n// import "no.proto"\nimport weak \'d.proto\';'), ['a.proto', 'b/c.proto', 'd.proto']);
  const proto = await loadProto(new URL(`file://${fileURLToPath(new URL('../fixtures/rpc/pets.proto', import.meta.url))}`));
  const problems: string[] = [];
  assert.deepEqual(toMessage(proto.definition, 'pets.v1.CreatePetRequest', { born: '2024-01-02T03:04:05.123456789Z', owner: { full_name: 'x', age: 3 } }, problems), {
    born: { seconds: '1704164645', nanos: 123456789 },
    owner: { fullName: 'x' },
  });
  assert.deepEqual(problems, ['/owner/age']);
  assert.deepEqual(fromMessage(proto.definition, 'pets.v1.Pet', { born: { seconds: '1704164645', nanos: 120000000 }, owner: null }), { born: '2024-01-02T03:04:05.120Z', owner: null });
  assert.equal(fromMessage(proto.definition, 'google.protobuf.Duration', { seconds: '-1', nanos: -500000000 }), '-1.5s');
});
