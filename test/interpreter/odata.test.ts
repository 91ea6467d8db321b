// odata functions (issue 16) through the interpreter, against an OData stub (node http on
// 127.0.0.1) that answers only the exact request URL it expects: $-prefixed, percent-encoded
// system query options, key segments, the value array or the entity, errors by status, retries,
// timeouts, auth headers, and the validation of argument names.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from './harness.js';

interface Seen {
  url: string;
  method?: string;
  authorization?: string;
  accept?: string;
}

const PEOPLE = [
  { Id: 1, Name: 'Ada' },
  { Id: 2, Name: "O'Brien" },
];

describe('odata functions', () => {
  let server: Server;
  let service = '';
  const seen: Seen[] = [];
  let flaky = 0;

  before(async () => {
    server = createServer((req, res) => {
      const url = req.url!;
      seen.push({ url, method: req.method, authorization: req.headers.authorization, accept: req.headers.accept });
      const json = (status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json', 'odata-version': '4.0' }).end(JSON.stringify(body));
      // An OData read is a GET: anything else is refused, whatever its URL.
      if (req.method !== 'GET') return json(405, { error: { code: 'MethodNotAllowed', message: `unexpected ${req.method} ${url}` } });
      switch (url) {
        // The spec's example options, in the order written, each percent-encoded.
        case '/svc/Persons?$expand=PersonDetail%2FPerson&$select=Id%2C%20PersonDetail%2FPerson%2FName&$top=5&$orderby=PersonDetail%2FPerson%2FName':
          return json(200, { '@odata.context': 'x', value: PEOPLE });
        // (`'` travels as %27 in a query: undici writes the URL in its WHATWG-parsed form.)
        case '/svc/Persons?$filter=Name%20eq%20%27O%27%27Brien%27%20and%20Id%20gt%201&$count=true&$search=%22a%26b%22&$skip=1':
          return json(200, { '@odata.context': 'x', '@odata.count': 1, value: [PEOPLE[1]] });
        case '/svc/Persons(2)':
          return json(200, { '@odata.context': 'x', ...PEOPLE[1] });
        case "/svc/Persons('O''Brien')?$select=Name":
          return json(200, { Name: "O'Brien" });
        case '/svc/Persons(404)':
          return json(404, { error: { code: 'NotFound', message: 'no person 404' } });
        case '/svc/Flaky':
          if (flaky++ < 2) return json(503, { error: { code: 'Busy', message: 'busy' } });
          return json(200, { value: [] });
        case '/svc/Huge':
          // 9 MiB of entities, more than a caller reads (4 MiB).
          return json(200, { value: Array.from({ length: 9 * 1024 }, (_, i) => ({ Id: i, Blob: 'x'.repeat(1024) })) });
        case '/svc/Slow':
          setTimeout(() => json(200, { value: [] }), 1500).unref();
          return;
        case '/svc/Secret':
          if (req.headers.authorization !== `Basic ${Buffer.from('odata:pw').toString('base64')}`) return json(401, { error: { code: 'Unauthorized', message: 'who are you' } });
          return json(200, { value: [{ Id: 7 }] });
        default:
          return json(400, { error: { code: 'BadRequest', message: `unexpected request ${url}` } });
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    service = `http://127.0.0.1:${(server.address() as AddressInfo).port}/svc`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
  });

  const fns = () => [
    { name: 'queryPersons', type: 'odata', operation: `${service}#Persons` },
    { name: 'flaky', type: 'odata', operation: `${service}#Flaky` },
    { name: 'slow', type: 'odata', operation: `${service}#Slow` },
    { name: 'huge', type: 'odata', operation: `${service}#Huge` },
    { name: 'secret', type: 'odata', operation: `${service}#Secret`, authRef: 'pw' },
  ];
  const one = (id: string, action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id,
    functions: fns(),
    auth: [{ name: 'pw', scheme: 'basic', properties: { username: 'odata', password: '${ $SECRETS.ODATA_PW }' } }],
    secrets: ['ODATA_PW'],
    ...extra,
    states: [{ name: 'Call', type: 'operation', actions: [action], end: true }],
  });
  const opts = { secrets: { ODATA_PW: 'pw' } };

  it("the spec's example: query options become $-prefixed, encoded system query options; the result is the value array", async () => {
    const r = await run(
      one('odataquery', { functionRef: { refName: 'queryPersons', arguments: { queryOptions: { expand: 'PersonDetail/Person', select: 'Id, PersonDetail/Person/Name', top: '${ .n }', orderby: 'PersonDetail/Person/Name' } } }, actionDataFilter: { toStateData: '${ .people }' } }),
      { n: 5 },
      opts,
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual((r.output as { people: unknown }).people, PEOPLE);
    assert.equal(seen[0]!.method, 'GET');
    assert.equal(seen[0]!.accept, 'application/json');
  });

  it('filter with quotes, count, search and skip; with count the result carries it', async () => {
    const r = await run(one('odatafilter', { functionRef: { refName: 'queryPersons', arguments: { queryOptions: { filter: "Name eq 'O''Brien' and Id gt 1", count: true, search: '"a&b"', skip: 1 } } } }), {}, opts);
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { count: 1, value: [PEOPLE[1]] });
  });

  it('a key addresses one entity, which is the result (numbers bare, strings quoted)', async () => {
    const r = await run(
      {
        ...one('odatakey', { functionRef: { refName: 'queryPersons', arguments: { key: 2 } }, actionDataFilter: { toStateData: '${ .byNumber }' } }),
        states: [
          { name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'queryPersons', arguments: { key: 2 } }, actionDataFilter: { toStateData: '${ .byNumber }' } }, { functionRef: { refName: 'queryPersons', arguments: { key: "O'Brien", queryOptions: { select: 'Name' } } }, actionDataFilter: { toStateData: '${ .byName }' } }], end: true },
        ],
      },
      {},
      opts,
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { byNumber: { '@odata.context': 'x', Id: 2, Name: "O'Brien" }, byName: { Name: "O'Brien" } });
  });

  it('a failure status is the error code, with the OData error message', async () => {
    const failed = await run(one('odata404', { name: 'find', functionRef: { refName: 'queryPersons', arguments: { key: 404 } } }), {}, opts);
    assert.equal(failed.runtimeStatus, 'FAILED');
    assert.equal(failed.failure?.code, '404');
    assert.match(failed.failure!.message, /GET http:\/\/127\.0\.0\.1:\d+\/svc\/Persons\(404\) returned HTTP 404: no person 404/);
  });

  it('a 503 listed in retryableErrors is retried', async () => {
    flaky = 0;
    const r = await run(one('odataretry', { functionRef: { refName: 'flaky', arguments: {} }, retryRef: 'r', retryableErrors: ['Busy'], actionDataFilter: { toStateData: '${ .rows }' } }, { errors: [{ name: 'Busy', code: '503' }], retries: [{ name: 'r', maxAttempts: 4, delay: 'PT0.01S' }] }), {}, opts);
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { rows: [] });
    assert.equal(seen.length, 3);
  });

  it('the actionExecTimeout bounds the call', async () => {
    const r = await run({ ...one('odataslow', { functionRef: { refName: 'slow', arguments: {} } }), timeouts: { actionExecTimeout: 'PT0.3S' } }, {}, opts);
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'timeout');
  });

  it('auth definitions apply (basic, password from a secret)', async () => {
    const r = await run(one('odataauth', { functionRef: { refName: 'secret', arguments: {} }, actionDataFilter: { toStateData: '${ .rows }' } }), {}, opts);
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { rows: [{ Id: 7 }] });
  });

  it('validation: an argument or query option odata.json does not define is a diagnostic with did-you-mean', async () => {
    const bad = one('odatabad', { functionRef: { refName: 'queryPersons', arguments: { queryOption: {}, key: 1 } } }) as { states: { actions: unknown[] }[] };
    bad.states[0]!.actions.push({ functionRef: { refName: 'queryPersons', arguments: { queryOptions: { fliter: 'x', top: 1 } } } });
    await assert.rejects(run(bad, {}, opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_DEFINITION');
      assert.match(e.message, /UNKNOWN_ARGUMENT argument 'queryOption' is not an odata argument \(odata\.json\); did you mean 'queryOptions'\?/);
      assert.match(e.message, /UNKNOWN_ARGUMENT argument 'fliter' is not an odata query option; did you mean 'filter'\?/);
      return true;
    });
    assert.equal(seen.length, 0);
  });

  it('a response larger than 4 MiB is refused while it arrives (RESPONSE_TOO_LARGE)', async () => {
    const r = await run(one('odatahuge', { functionRef: { refName: 'huge', arguments: {} } }), {}, opts);
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'RESPONSE_TOO_LARGE');
    assert.match(r.failure!.message, /GET http:\/\/127\.0\.0\.1:\d+\/svc\/Huge: the response is larger than 4194304 bytes \(4 MiB, the limit of a payload\)/);
  });
});
