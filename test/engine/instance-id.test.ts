import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newInstanceId } from '../../src/engine/instance-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('default instance ids are UUIDv7: the timestamp leads, version 7, RFC 4122 variant', () => {
  const id = newInstanceId(0x0191_2345_6789);
  assert.match(id, UUID_V7);
  assert.equal(id.slice(0, 13), '01912345-6789');
});

test('default instance ids sort by creation time and do not repeat within a millisecond', () => {
  const early = Array.from({ length: 500 }, () => newInstanceId(1_700_000_000_000));
  const late = newInstanceId(1_700_000_000_001);
  assert.equal(new Set(early).size, early.length);
  for (const id of early) assert.ok(id < late, `${id} sorts before ${late}`);
});

test('a fresh id carries the current time', () => {
  const before = Date.now();
  const id = newInstanceId();
  const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assert.ok(ms >= before && ms <= Date.now() + 1, `timestamp ${ms}`);
  assert.match(id, UUID_V7);
});
