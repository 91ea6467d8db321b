/**
 * CloudEvents as the pub/sub components put them on the wire and hand them to subscribers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowError } from '../../src/errors.js';
import { loadComponents, parseCloudEvent, toCloudEvent, validateCloudEvent } from '../../src/components/index.js';

describe('CloudEvents', () => {
  it('toCloudEvent fills id, time, specversion and datacontenttype, keeps extensions', () => {
    const ev = toCloudEvent({ source: '/orders', type: 'order.created', data: { id: 1 }, traceparent: '00-x-y-01', correlationid: 'c-1' });
    assert.equal(ev.specversion, '1.0');
    assert.match(ev.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(ev.time!)));
    assert.equal(ev.datacontenttype, 'application/json');
    assert.deepEqual(ev.data, { id: 1 });
    assert.equal(ev.traceparent, '00-x-y-01');
    assert.equal(ev.correlationid, 'c-1');
    assert.equal(toCloudEvent({ source: 's', type: 't', id: 'fixed' }).id, 'fixed');
  });

  it('invalid events are non-retryable INVALID_CLOUDEVENT errors saying what is wrong', () => {
    const bad = (ev: object, re: RegExp) =>
      assert.throws(() => validateCloudEvent(ev as never), (e: WorkflowError) => e instanceof WorkflowError && e.code === 'INVALID_CLOUDEVENT' && e.nonRetryable && re.test(e.message));
    bad({ specversion: '1.0', id: '1', source: 's' }, /'type' must be a non-empty string/);
    bad({ specversion: '1.0', id: '', source: 's', type: 't' }, /'id' must be a non-empty string/);
    bad({ specversion: '0.3', id: '1', source: 's', type: 't' }, /specversion must be '1.0'/);
    bad({ specversion: '1.0', id: '1', source: 's', type: 't', Bad_Ext: 1 }, /invalid extension name/);
  });

  it('parseCloudEvent returns structured events as they are and wraps raw payloads with the fallback id', () => {
    const ev = toCloudEvent({ source: 's', type: 't', data: [1] });
    assert.deepEqual(parseCloudEvent(JSON.stringify(ev), { id: 'x', source: 'y', type: 'z' }), ev);
    assert.deepEqual(parseCloudEvent('{"n":1}', { id: 'm-1', source: 'src', type: 'typ' }), { specversion: '1.0', id: 'm-1', source: 'src', type: 'typ', datacontenttype: 'application/json', data: { n: 1 } });
    assert.deepEqual(parseCloudEvent(Buffer.from('plain'), { id: 'm-2', source: 'src', type: 'typ' }), { specversion: '1.0', id: 'm-2', source: 'src', type: 'typ', datacontenttype: 'text/plain', data: 'plain' });
  });

  it('a closed host refuses calls with COMPONENTS_CLOSED', async () => {
    const host = await loadComponents(undefined, { env: { A: '1' } });
    await host.close();
    await host.close(); // idempotent
    await assert.rejects(host.getSecret('A'), (e: Error & { code?: string }) => e.code === 'COMPONENTS_CLOSED');
  });
});
