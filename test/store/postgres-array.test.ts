/**
 * @module test/store/postgres-array
 * The store's own array literals (src/store/postgres-array.ts) read back by the real PostgreSQL
 * exactly as the values sent: quotes, backslashes, braces, commas, the word NULL, empty strings,
 * whitespace and non-ASCII text, NULLs, numbers and booleans — the payloads a turn batch carries.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { arrayLiteral } from '../../src/store/postgres-array.js';
import { PG_URL, pgSkipReason } from './postgres-fixture.js';

const TEXTS: (string | null)[] = [
  'plain',
  '',
  'NULL',
  'null',
  ' padded ',
  '{"eventId":1,"type":"TaskCompleted","result":"a \\"quoted\\" \\\\ value"}',
  'back\\slash\\',
  '"',
  '\\',
  'a,b{c}d',
  'tab\tnew\nline',
  'ünïcødé ✓ 𝄞',
  null,
];

describe('PostgreSQL array literals', { skip: pgSkipReason }, () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  after(async () => {
    await client.end();
  });

  it('reads text elements back unchanged, NULLs as NULL', async () => {
    const row = (await client.query<{ v: (string | null)[] }>('SELECT $1::text[] AS v', [arrayLiteral(TEXTS)])).rows[0];
    assert.deepEqual(row.v, TEXTS);
  });

  it('reads numbers, booleans and empty arrays back as their types', async () => {
    const row = (
      await client.query<{ n: string[]; f: number[]; b: boolean[]; e: string[] }>('SELECT $1::bigint[] AS n, $2::float8[] AS f, $3::boolean[] AS b, $4::text[] AS e', [
        arrayLiteral([0, -1, 1_700_000_000_123, null]),
        arrayLiteral([1.5, -0.25, 1e21]),
        arrayLiteral([true, false, null]),
        arrayLiteral([]),
      ])
    ).rows[0];
    assert.deepEqual(row.n.map((x) => (x === null ? null : String(x))), ['0', '-1', '1700000000123', null]);
    assert.deepEqual(row.f, [1.5, -0.25, 1e21]);
    assert.deepEqual(row.b, [true, false, null]);
    assert.deepEqual(row.e, []);
  });

  it('unnests a column batch like the turn function does', async () => {
    const rows = (
      await client.query<{ k: number; d: string | null }>('SELECT k, d FROM unnest($1::int[], $2::text[]) AS u(k, d) ORDER BY k', [
        arrayLiteral(TEXTS.map((_, i) => i + 1)),
        arrayLiteral(TEXTS),
      ])
    ).rows;
    assert.deepEqual(
      rows.map((r) => r.d),
      TEXTS,
    );
  });
});
