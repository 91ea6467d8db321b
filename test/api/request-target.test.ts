/**
 * A request target taken apart without `URL` (api/request-target.ts) reads exactly as `URL` reads
 * it; targets `URL` would rewrite are left to `URL`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleTarget } from '../../src/api/request-target.js';

const ORIGIN = 'http://127.0.0.1:3500';

test('simple targets: the pathname and query parameters URL gives', () => {
  const targets = [
    '/',
    '/v1.0/workflows/dapr/chain/start',
    '/v1.0/workflows/dapr/chain/start?instanceID=order-7',
    '/v1.0/workflows/dapr/a%20b?wait=60s',
    "/api/v1/instances/x'y?wait=1s&q='z'&a=1&a=2&e=&plus=a+b&pct=%41%zz",
    '/v1.0/workflows/dapr/id?',
    '/a/.b/..c/c.',
    '//double//slashes',
    '/x?y?z=/&k',
  ];
  for (const t of targets) {
    const mine = simpleTarget(t);
    assert.ok(mine, `${t} is simple`);
    const url = new URL(ORIGIN + t);
    assert.equal(mine.pathname, url.pathname, t);
    assert.deepEqual([...mine.searchParams], [...url.searchParams], t);
  }
});

test('targets URL would rewrite are not simple', () => {
  for (const t of ['/a/./b', '/a/../b', '/a/%2e%2E/b', '/a/.', '/..', '/a b', '/a\\b', '/a#frag', '/é', '/a?x="y"', '/a?x y', '/{x}', '*', 'http://other/x', '/a?`']) {
    assert.equal(simpleTarget(t), undefined, t);
  }
});
