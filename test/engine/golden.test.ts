// Golden histories (STYLE guideline 12): histories recorded by earlier engine versions must replay
// on this one without a NonDeterminismError and reach the same end. Record new ones with
// `npx tsx test/engine/golden/record.ts`; never edit or re-record an existing file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { execute } from '../../src/engine/replay/execute.js';
import { EventType, type HistoryEvent } from '../../src/engine/history.js';
import { EngineFlag } from '../../src/engine/flags.js';
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

describe('golden histories of the replay flags (engine/flags.ts)', () => {
  const load = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { name: string; history: HistoryEvent[] };
  /** The same history as if recorded before `flag` existed (its ExecutionStarted without it). */
  const without = (history: HistoryEvent[], flag: string): HistoryEvent[] =>
    history.map((e) => (e.type === EventType.ExecutionStarted ? { ...e, flags: (e.flags ?? []).filter((f) => f !== flag) } : e));
  const flagsOf = (history: HistoryEvent[]) => {
    const s = history.find((e) => e.type === EventType.ExecutionStarted);
    return s?.type === EventType.ExecutionStarted ? s.flags ?? [] : [];
  };

  it('whenAllWithdrawsWaits: recorded with the flag; the flag (not the code) decides that the later wait gets the event', () => {
    const { name, history } = load('when-all-withdraws-waits.json');
    assert.ok(flagsOf(history).includes(EngineFlag.WhenAllWithdrawsWaits));
    const fn = golden[name]!;
    assert.equal(execute(fn, history, []).outcome?.status, 'COMPLETED');
    // Without the flag the failed whenAll's wait swallows 'x': the later wait never ends, so the
    // recorded completion does not match the replay.
    assert.throws(() => execute(fn, without(history, EngineFlag.WhenAllWithdrawsWaits), []), { name: 'NonDeterminismError' });
    const upToEvent = without(history, EngineFlag.WhenAllWithdrawsWaits).filter((e) => e.type !== EventType.ExecutionCompleted);
    assert.equal(execute(fn, upToEvent, []).outcome, undefined, 'old behaviour: still waiting after x arrived');
  });

  it('uniqueSubflowIds: recorded with the flag; replay computes the recorded 22-char child id, and the 8-hex one without it', () => {
    const { name, history } = load('unique-subflow-ids.json');
    assert.ok(flagsOf(history).includes(EngineFlag.UniqueSubflowIds));
    const fn = golden[name]!;
    const withFlag = JSON.parse(execute(fn, history, []).outcome?.result ?? '{}') as { childId: string };
    assert.match(withFlag.childId, /^golden-unique-subflow-ids:[A-Za-z0-9_-]{22}$/);
    const created = history.find((e) => e.type === EventType.SubOrchestrationInstanceCreated);
    assert.ok(created?.type === EventType.SubOrchestrationInstanceCreated && created.instanceId === withFlag.childId, 'the id the history recorded');
    const old = JSON.parse(execute(fn, without(history, EngineFlag.UniqueSubflowIds), []).outcome?.result ?? '{}') as { childId: string };
    assert.match(old.childId, /^golden-unique-subflow-ids:[0-9a-f]{8}$/);
  });
});
