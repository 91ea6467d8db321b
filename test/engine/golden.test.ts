// Golden histories (STYLE guideline 12): histories recorded by earlier engine versions must replay
// on this one without a NonDeterminismError and reach the same end. Record new ones with
// `npx tsx test/engine/golden/record.ts`; never edit or re-record an existing file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { execute } from '../../src/engine/replay/execute.js';
import type { HistoryEvent } from '../../src/engine/history.js';
import { golden } from './golden/orchestrations.js';

const dir = new URL('./golden/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('golden histories replay unchanged', () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 7, `found ${files.length}`);
  });
  for (const file of files) {
    it(file, () => {
      const { name, status, history } = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { name: string; status: string; history: HistoryEvent[] };
      const fn = golden[name];
      assert.ok(fn, `no golden orchestration '${name}'`);
      const r = execute(fn, history, []);
      assert.deepEqual(r.actions, [], 'replaying a finished history decides nothing new');
      const end = history.find((e) => e.type === 'ExecutionCompleted');
      assert.ok(end && end.type === 'ExecutionCompleted');
      assert.equal(r.outcome?.status, status);
      assert.equal(r.outcome?.status, end.status);
      assert.equal(r.outcome?.result, end.result);
      assert.equal(r.outcome?.failure?.message, end.failure?.message);
    });
  }
});
