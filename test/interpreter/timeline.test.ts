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
    case 'workflowTimedOut':
      return `timed out in ${e.state}: ${e.timeout}`;
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

  const cases: [string, string, string[]][] = [
    [
      'switch (data): the condition that was true',
      'states/switch-data-first-true-wins.yaml',
      [
        'enter Check (switch) input={"age":30}',
        'exit Check output={"age":30}',
        "transition Check -> Adult via condition '.age >= 18'",
        'enter Adult (inject) input={"age":30}',
        'exit Adult output={"age":30,"branch":"adult"}',
        'transition Adult -> end via transition',
      ],
    ],
    [
      'switch (event): the events waited for, the one received and its condition',
      'states/switch-event-based.yaml',
      [
        'enter Decide (switch) input={"order":7}',
        'wait for Approved | Denied',
        'received Denied {"by":"bob"}',
        'exit Decide output={"order":7,"by":"bob"}',
        "transition Decide -> No via condition 'on Denied'",
        'enter No (inject) input={"order":7,"by":"bob"}',
        'exit No output={"order":7,"by":"bob","result":"denied"}',
        'transition No -> end via transition',
      ],
    ],
    [
      'event: the wait, the event received, then the actions of its onEvents',
      'states/event-state-exclusive.yaml',
      [
        'enter Listen (event) input={}',
        'wait for Cat | Dog',
        'received Dog {"name":"rex"}',
        'action woof attempt 1 started',
        'action woof attempt 1 completed',
        'exit Listen output={"name":"rex","sound":"woof"}',
        'transition Listen -> end via transition',
      ],
    ],
    [
      'sleep: the timer and when it fired',
      'states/sleep-state.yaml',
      [
        'enter Nap (sleep) input={"v":1}',
        'timer in Nap',
        'timer fired in Nap',
        'exit Nap output={"v":1}',
        'transition Nap -> After via transition',
        'enter After (inject) input={"v":1}',
        'exit After output={"v":1,"woke":true}',
        'transition After -> end via transition',
      ],
    ],
    [
      'inject: the data before and after',
      'states/inject-basic.yaml',
      ['enter Inject (inject) input={"name":"Ada"}', 'exit Inject output={"name":"Ada","greeting":"hello","count":1}', 'transition Inject -> end via transition'],
    ],
    [
      'parallel (allOf): each action with its branch, in the order they ended',
      'states/parallel-allof-definition-order.yaml',
      [
        'enter Fan (parallel) input={"base":true}',
        'action slow attempt 1 started [branch One]',
        'action fast attempt 1 started [branch Two]',
        'action fast attempt 1 completed [branch Two]',
        'action slow attempt 1 completed [branch One]',
        'exit Fan output={"base":true,"winner":"two","one":1,"two":2}',
        'transition Fan -> end via transition',
      ],
    ],
    [
      'parallel (atLeast): the cancelled branch never started its action',
      'states/parallel-atleast.yaml',
      ['enter Race (parallel) input={}', 'action quick attempt 1 started [branch Quick]', 'action quick attempt 1 completed [branch Quick]', 'exit Race output={"quick":true}', 'transition Race -> end via transition'],
    ],
    [
      'callback: the action, then the wait for the callback event',
      'states/callback-state.yaml',
      [
        'enter CheckCredit (callback) input={"applicant":"ann"}',
        'action check attempt 1 started',
        'action check attempt 1 completed',
        'wait for CreditDecision',
        'received CreditDecision {"approved":true}',
        'exit CheckCredit output={"applicant":"ann","request":{"ticket":"t1"},"decision":{"approved":true}}',
        'transition CheckCredit -> Done via transition',
        'enter Done (inject) input={"applicant":"ann","request":{"ticket":"t1"},"decision":{"approved":true}}',
        'exit Done output={"applicant":"ann","request":{"ticket":"t1"},"decision":{"approved":true},"done":true}',
        'transition Done -> end via transition',
      ],
    ],
    [
      'compensation: the end that compensates, then each compensation state marked as such',
      'control/compensation-chain.yaml',
      [
        'enter Order (operation) input={}',
        'action book attempt 1 started',
        'action book attempt 1 completed',
        'exit Order output={}',
        'transition Order -> End via transition',
        'enter End (inject) input={}',
        'exit End output={}',
        'transition End -> end via transition compensate',
        'compensate Order by Refund',
        'enter Refund (operation) compensation input={}',
        'action undo attempt 1 started',
        'action undo attempt 1 completed',
        'exit Refund output={}',
        'enter NotifyRefund (operation) compensation input={}',
        'action undo attempt 1 started',
        'action undo attempt 1 completed',
        'exit NotifyRefund output={}',
      ],
    ],
    [
      'onErrors: the failed action, the error handled and the error transition',
      'control/onerrors-errorref-transition.yaml',
      [
        'enter Lookup (operation) input={"id":9}',
        'action get attempt 1 started',
        'action get attempt 1 failed 404',
        'error 404 in Lookup handled -> Missing',
        "transition Lookup -> Missing via error 'NotFound'",
        'enter Missing (inject) input={"id":9}',
        'exit Missing output={"id":9,"found":false}',
        'transition Missing -> end via transition',
      ],
    ],
    [
      'retries: each failed attempt, the retry delay, then onErrors',
      'control/retry-then-onerrors.yaml',
      [
        'enter Call (operation) input={}',
        'action flaky attempt 1 started',
        'action flaky attempt 1 failed 503',
        'action flaky retry after 50 ms',
        'action flaky attempt 2 started',
        'action flaky attempt 2 failed 503',
        'error 503 in Call handled -> Fallback',
        "transition Call -> Fallback via error 'Unavailable'",
        'enter Fallback (inject) input={}',
        'exit Fallback output={"fallback":true}',
        'transition Fallback -> end via transition',
      ],
    ],
    [
      'workflowExecTimeout: the state it stopped, then the runBefore state',
      'control/workflow-exec-timeout-runbefore.yaml',
      [
        'enter Nap (sleep) input={"order":"o1"}',
        'timer in Nap',
        'timed out in Nap: workflowExecTimeout (300 ms) expired',
        'enter Notify (operation) input={"order":"o1"}',
        'action notify attempt 1 started',
        'action notify attempt 1 completed',
        'exit Notify output={"order":"o1"}',
        'transition Notify -> end via transition',
      ],
    ],
  ];
  for (const [name, file, expected] of cases) {
    it(name, async () => {
      assert.deepStrictEqual((await timelineOf(file)).map(line), expected);
    });
  }

  it('an unhandled error: the state that failed, with the code', async () => {
    const t = await timelineOf('control/onerrors-unmatched-fails.yaml');
    const last = t.at(-1) as Record<string, any>;
    assert.equal(last.kind, 'stateFailed');
    assert.equal(last.state, 'Risky');
    assert.equal(last.error.code, '500');
    assert.match(last.error.message, /callCrash/);
    assert.equal(typeof last.durationMs, 'number');
  });

  it('sleep: the timer says until when', async () => {
    const t = await timelineOf('states/sleep-state.yaml');
    const started = t.find((i) => i.kind === 'timerStarted')!;
    assert.equal(Date.parse(String(started.until)) - Date.parse(started.time), 100);
  });
});
