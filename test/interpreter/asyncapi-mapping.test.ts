/**
 * How an AsyncAPI channel maps to a Swirl pub/sub component (specs/asyncapi.md §2), without a
 * broker: x-swirl-component wins, then a server named like a component, then the one component
 * speaking the server's protocol; ambiguity and absence are nonRetryable ASYNCAPI_NO_COMPONENT
 * errors that say what was tried. Also what definition/asyncapi reads from a document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAsyncApi, type AsyncOperation } from '../../src/definition/asyncapi.js';
import { channelComponent } from '../../src/interpreter/asyncapi-call.js';

const components = [
  { name: 'cache', type: 'pubsub.redis', version: 'v1' },
  { name: 'rabbit-a', type: 'pubsub.rabbitmq', version: 'v1' },
  { name: 'rabbit-b', type: 'pubsub.rabbitmq', version: 'v1' },
  { name: 'out', type: 'bindings.http', version: 'v1' },
];

const op = (o: Partial<AsyncOperation>): AsyncOperation => ({ operationId: 'op', action: 'publish', channel: 'c', parameters: [], servers: [], ...o });

test('x-swirl-component, then the server name, then the one component of the protocol', () => {
  assert.equal(channelComponent(op({ component: 'rabbit-b', servers: [{ name: 'cache', protocol: 'redis', url: 'x' }] }), components), 'rabbit-b');
  assert.equal(channelComponent(op({ servers: [{ name: 'rabbit-a', protocol: 'amqp', url: 'x' }] }), components), 'rabbit-a');
  assert.equal(channelComponent(op({ servers: [{ name: 'prod', protocol: 'redis', url: 'x' }] }), components), 'cache');
  assert.equal(channelComponent(op({ servers: [{ name: 'prod', protocol: 'amqp', url: 'x', component: 'rabbit-a' }] }), components), 'rabbit-a');
});

test('ambiguous, unknown or missing mappings are ASYNCAPI_NO_COMPONENT errors naming what was tried', () => {
  const fails = (o: AsyncOperation, re: RegExp) =>
    assert.throws(() => channelComponent(o, components), (err: Error & { code?: string; nonRetryable?: boolean }) => {
      assert.equal(err.code, 'ASYNCAPI_NO_COMPONENT');
      assert.match(err.message, re);
      return true;
    });
  fails(op({ servers: [{ name: 'prod', protocol: 'amqp', url: 'x' }] }), /no server maps to exactly one component — server 'prod' \(amqp\): 2 component\(s\) of type pubsub\.rabbitmq; set x-swirl-component/);
  fails(op({ servers: [{ name: 'k', protocol: 'kafka', url: 'x' }] }), /server 'k' \(kafka\): no Swirl pub\/sub type speaks this protocol/);
  fails(op({ component: 'nope' }), /x-swirl-component names pub\/sub component 'nope', which is not configured \(pub\/sub components: cache, rabbit-a, rabbit-b\)/);
  fails(op({}), /the document has no servers/);
  fails(op({ servers: [{ name: 'cache', protocol: 'redis', url: 'x' }, { name: 'rabbit-a', protocol: 'amqp', url: 'x' }] }), /several components \(cache, rabbit-a\)/);
});

test('readAsyncApi: operations by id with channel parameters, message names through local $refs, channel servers', () => {
  const doc = readAsyncApi({
    asyncapi: '2.4.0',
    servers: { a: { url: 'redis://x', protocol: 'REDIS' }, b: { url: 'amqp://y', protocol: 'amqp' } },
    channels: {
      'light/{id}': { servers: ['b'], parameters: { id: {} }, subscribe: { operationId: 'onLight', message: { $ref: '#/components/messages/Light' } } },
      plain: { publish: { operationId: 'send', 'x-swirl-component': 'cache' } },
    },
    components: { messages: { Light: { name: 'LightMeasured' } } },
  });
  assert.ok(doc.ok);
  assert.deepEqual(doc.operations.get('onLight'), { operationId: 'onLight', action: 'subscribe', channel: 'light/{id}', parameters: ['id'], servers: [{ name: 'b', url: 'amqp://y', protocol: 'amqp' }], messageName: 'LightMeasured' });
  assert.deepEqual(doc.operations.get('send')?.servers.map((s) => s.protocol), ['redis', 'amqp']);
  assert.equal(doc.operations.get('send')?.component, 'cache');
  const bad = readAsyncApi({ asyncapi: '2.6.0', channels: { 'a/{x}': { servers: ['none'], publish: { operationId: 'p' } }, b: { subscribe: { operationId: 'p' } } } });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => p.message), [
    "channel 'a/{x}' names server 'none', which the document does not define",
    "channel 'a/{x}' uses parameter '{x}' that its 'parameters' do not declare",
    "operationId 'p' is used twice (also by channel 'a/{x}')",
  ]);
});
