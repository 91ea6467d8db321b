/**
 * The state-level timeline (specs/timeline.md) of every conformance state type: each case of the
 * conformance suite named below runs as the suite runs it (its outcome is asserted by the harness),
 * then its timeline — derived by an inspection replay of the stored history — is checked step by
 * step: states entered and exited, actions, events, timers, transitions with their conditions,
 * compensation and errors handled by onErrors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseCase } from '../conformance/case-format.js';
import { openSuite, runCase, type SuiteContext } from '../conformance/harness.js';
import { StubServer } from '../conformance/stub-services.js';
import { timelineItems, type TimelineItem } from '../../src/interpreter/index.js';

const casesDir = fileURLToPath(new URL('../conformance/cases', import.meta.url));

/** One line per timeline item: what a person reads in `swirl instances history`. */
function line(i: TimelineItem): string {
  const at = (x: TimelineItem) => (x.branch !== undefined ? ` [branch ${String(x.branch)}]` : x.iteration !== undefined ? ` [iteration ${String(x.iteration)}]` : '');
  const e = i as unknown as Record<string, any>;
  switch (i.kind) {
    case 'rerunStarted':
      return `rerun from ${e.fromState}`;
    case 'stateEntered':
      return `enter ${e.state} (${e.type})${e.compensation ? ' compensation' : ''} input=${JSON.stringify(e.input)}`;
    case 'stateExited':
      return `exit ${e.state} output=${JSON.stringify(e.output)}`;
    case 'stateFailed':
      return `fail ${e.state} ${e.error.code}`;
    case 'transition':
      return `transition ${e.from} -> ${e.to ?? 'end'} via ${e.via}${e.condition !== undefined ? ` '${e.condition}'` : ''}${e.compensate ? ' compensate' : ''}`;
    case 'errorHandled':
      return `error ${e.error.code} in ${e.state} handled -> ${e.to ?? 'end'}`;
    case 'compensationStarted':
      return `compensate ${e.state} by ${e.by}`;
    case 'actionStarted':
      return `action ${e.action} attempt ${e.attempt} started${at(i)}`;
    case 'actionCompleted':
      return `action ${e.action} attempt ${e.attempt} completed${at(i)}`;
    case 'actionFailed':
      return `action ${e.action} attempt ${e.attempt} failed ${e.error.code}${at(i)}`;
    case 'actionRetried':
      return `action ${e.action} retry after ${e.delayMs} ms${at(i)}`;
    case 'eventWaiting':
      return `wait for ${e.events.join(' | ')}`;
    case 'eventReceived':
      return `received ${e.event} ${JSON.stringify(e.data)}`;
    case 'eventTimedOut':
      return 'event timeout';
    case 'timerStarted':
      return `timer in ${e.state}`;
    case 'timerFired':
      return `timer fired in ${e.state}`;
    case 'eventProduced':
      return `produced ${e.event}`;
    default:
      return `unknown ${String(i.kind)}`;
  }
}

let ctx: SuiteContext;
let close: () => Promise<void>;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'swirl-timeline-'));
  const suite = await openSuite(new StubServer(), tmp);
  ctx = suite.ctx;
  close = suite.close;
});
after(async () => {
  await close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs the conformance case `file` (its own assertions included) and returns its timeline. */
async function timelineOf(file: string): Promise<TimelineItem[]> {
  const c = parseCase(join(casesDir, file), file);
  const id = await runCase(ctx, c);
  return timelineItems((await ctx.engine.client.inspect(id)).notes);
}

describe('timeline of every conformance state type', () => {
  it('operation: actions with their attempts, the state data in and out', async () => {
    const t = await timelineOf('states/foreach-sequential.yaml');
    assert.deepStrictEqual(t.map(line), [
      'enter Each (foreach) input={"items":["a","b","c"]}',
      'action upper attempt 1 started [iteration 0]',
      'action upper attempt 1 completed [iteration 0]',
      'action upper attempt 1 started [iteration 1]',
      'action upper attempt 1 completed [iteration 1]',
      'action upper attempt 1 started [iteration 2]',
      'action upper attempt 1 completed [iteration 2]',
      'exit Each output={"items":["a","b","c"],"results":["A","B","C"]}',
      'transition Each -> end via transition',
    ]);
    const started = t.find((i) => i.kind === 'actionStarted') as Record<string, unknown>;
    assert.equal(started.function, 'upper');
    assert.equal(started.functionType, 'rest');
    const done = t.find((i) => i.kind === 'actionCompleted') as Record<string, unknown>;
    assert.deepStrictEqual(done.result, { v: 'A' });
    assert.equal(typeof done.durationMs, 'number');
    assert.match(String(done.time), /^\d{4}-\d\d-\d\dT/);
  });
});
