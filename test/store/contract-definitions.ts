/**
 * @module test/store/contract-definitions
 * Definition versions by hash (issue 9, finding 9), on every backend: the definitions table
 * (idempotent put, get, list oldest first, delete only what no running instance uses) and the
 * definition hash/version columns of instances (set on create and child creation, rewritten by
 * a turn, filterable in queryInstances). Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DefinitionRecord, Store } from '../../src/store/types.js';
import { claimOne, createAndRun, createRequest, turnFor } from './contract-helpers.js';

function definition(hash: string, id: string, registeredAt: number, extra: Partial<DefinitionRecord> = {}): DefinitionRecord {
  return { hash, id, version: '1.0', text: `id: ${id}\n# ${hash}\n`, source: `/defs/${id}.yaml`, registeredAt, ...extra };
}

/** Registers the definition tests; `current()` is the fresh store of the running test. */
export function definitionContract(current: () => Store): void {
  describe('definitions by hash', () => {
    it('putDefinition is idempotent by hash for the content; registering again moves the time forward; get and list read back field for field, oldest first', async () => {
      const store = current();
      await store.putDefinition(definition('h2', 'order', 2000, { version: undefined }));
      await store.putDefinition(definition('h1', 'order', 1000));
      await store.putDefinition(definition('h3', 'ship', 1500));
      assert.deepEqual(
        (await store.listDefinitions()).map((d) => d.hash),
        ['h1', 'h3', 'h2'],
      );
      // A rollback: h1 registered again is the newest, durably; its content stays the first one.
      await store.putDefinition(definition('h1', 'order', 9000, { text: 'changed', source: '<api>' }));
      assert.deepEqual(await store.getDefinition('h1'), definition('h1', 'order', 9000), 'content of the first registration, time of the last');
      await store.putDefinition(definition('h1', 'order', 5000));
      assert.equal((await store.getDefinition('h1'))?.registeredAt, 9000, 'never moved back');
      const h2 = await store.getDefinition('h2');
      assert.equal(h2?.version, undefined, 'an absent version reads back as undefined');
      assert.equal(await store.getDefinition('nope'), undefined);
      assert.deepEqual(
        (await store.listDefinitions()).map((d) => d.hash),
        ['h3', 'h2', 'h1'],
      );
      assert.deepEqual(
        (await store.listDefinitions('order')).map((d) => d.hash),
        ['h2', 'h1'],
      );
      assert.deepEqual(await store.listDefinitions('none'), []);
    });

    it('deleteUnusedDefinitions(registeredBefore) keeps versions registered (or registered again) at or after that time', async () => {
      const store = current();
      await store.putDefinition(definition('old', 'wf', 1000));
      await store.putDefinition(definition('fresh', 'wf', 5000));
      await store.putDefinition(definition('again', 'wf', 1000));
      await store.putDefinition(definition('again', 'wf', 6000)); // another node registered it again
      assert.deepEqual(await store.deleteUnusedDefinitions(['old', 'fresh', 'again'], 5000), ['old']);
      assert.deepEqual(
        (await store.listDefinitions()).map((d) => d.hash),
        ['fresh', 'again'],
      );
    });

    it('deleteUnusedDefinitions keeps a hash that a non-terminal instance runs', async () => {
      const store = current();
      for (const [i, h] of ['used', 'done', 'free'].entries()) await store.putDefinition(definition(h, 'wf', 1000 + i));
      await store.createInstance(createRequest('running', 1000, { definitionHash: 'used', definitionVersion: '1.0' }));
      await store.createInstance(createRequest('finished', 1000, { definitionHash: 'done' }));
      const item = await claimOne(store, 'finished', 1000);
      await store.commitTurn(turnFor(item, 'COMPLETED', 1, { state: { ...turnFor(item, 'COMPLETED').state, definitionHash: 'done' } }));
      const deleted = await store.deleteUnusedDefinitions(['used', 'done', 'free', 'ghost']);
      assert.deepEqual([...deleted].sort(), ['done', 'free']);
      assert.deepEqual(
        (await store.listDefinitions()).map((d) => d.hash),
        ['used'],
      );
    });
  });

  describe('instance definition hash', () => {
    it('is set by createInstance and child creation, rewritten by a turn, and filterable', async () => {
      const store = current();
      await store.createInstance(createRequest('p', 1000, { definitionHash: 'h1', definitionVersion: '1.0' }));
      const created = await store.getInstance('p');
      assert.equal(created?.definitionHash, 'h1');
      assert.equal(created?.definitionVersion, '1.0');

      const item = await claimOne(store, 'p', 1000);
      const state = turnFor(item, 'RUNNING').state;
      await store.commitTurn(
        turnFor(item, 'RUNNING', 1, {
          state: { ...state, definitionHash: 'h2', definitionVersion: '2.0' },
          newInstances: [createRequest('child', 1000, { parentInstanceId: 'p', definitionHash: 'hc', definitionVersion: '0.1' })],
        }),
      );
      const moved = await store.getInstance('p');
      assert.deepEqual([moved?.definitionHash, moved?.definitionVersion], ['h2', '2.0']);
      const child = await store.getInstance('child');
      assert.deepEqual([child?.definitionHash, child?.definitionVersion], ['hc', '0.1']);

      await store.createInstance(createRequest('q', 1001, { definitionHash: 'h2' }));
      const ids = async (hash: string): Promise<string[]> => (await store.queryInstances({ definitionHash: hash })).instances.map((r) => r.instanceId);
      assert.deepEqual(await ids('h2'), ['p', 'q']);
      assert.deepEqual(await ids('h1'), [], 'p moved off h1');
      assert.deepEqual(await ids('hc'), ['child']);
      assert.deepEqual(
        (await store.queryInstances({ definitionHash: 'h2', pageSize: 1 })).nextPageToken !== undefined,
        true,
        'pages like any other filter',
      );
      await createAndRun(store, 'plain', 'RUNNING');
      const plain = await store.getInstance('plain');
      assert.equal(plain?.definitionHash, undefined, 'absent, not null');
      assert.equal(plain?.definitionVersion, undefined);
    });
  });
}
