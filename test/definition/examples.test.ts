/**
 * The 28 official Serverless Workflow 0.8 examples (examples.md, extracted by
 * scripts/extract-spec-examples.py). The valid ones validate; the ones with known defects
 * (../shared/reference/sw-0.8-notes.md §2) are reported with exactly those diagnostics.
 * Examples are validated together, as a directory, so subflows among them resolve.
 * The spec ships none of the OpenAPI documents its rest functions name: a local one is a
 * FILE_NOT_FOUND error like any missing file, a remote one an OPENAPI_UNREACHABLE warning (the
 * network is blocked by ./offline.ts, so the outcome is the same on every machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { validateFiles, type ValidationResult } from '../../src/index.js';
import { blockedFetches } from './offline.js';

const dir = new URL('./examples/', import.meta.url).pathname;

/** file → the errors it must have: [code, pointer, message fragment]. Every other file: no errors. */
const KNOWN_DEFECTS: Record<string, [string, string, string][]> = {
  '02-greeting.json': [['FILE_NOT_FOUND', '/functions/0/operation', 'file://myapis/greetingapis.json']],
  '03-event-based-greeting.json': [['FILE_NOT_FOUND', '/functions/0/operation', 'file://myapis/greetingapis.json']],
  '06-async-function-invocation.json': [['FILE_NOT_FOUND', '/functions/0/operation', 'file://myapis/emailapis.json']],
  // state-level eventTimeout; the schema wants timeouts.eventTimeout
  '08-event-based-transitions.json': [['UNKNOWN_PROPERTY', '/states/0/eventTimeout', 'timeouts.eventTimeout']],
  // in functiondefs.json, the external functions file
  '19-reusing-function-and-event-definitions.json': [
    ['FILE_NOT_FOUND', '/functions/0/operation', 'file://myapis/billingapis.json'],
    ['FILE_NOT_FOUND', '/functions/1/operation', 'file://myapis/emailapis.json'],
    ['FILE_NOT_FOUND', '/functions/2/operation', 'file://myapis/emailapis.json'],
  ],
  '15-perform-customer-credit-check.json': [['UNKNOWN_FUNCTION', '/states/0/action/functionRef/refName', "unknown function 'callCreditCheckMicroservice'"]],
  '20-new-patient-onboarding.json': [
    ['UNKNOWN_EVENT', '/states/0/onEvents/0/eventRefs/0', "unknown event 'NewPatientEvent'"],
    ['UNKNOWN_FUNCTION', '/states/0/onEvents/0/actions/0/functionRef', "unknown function 'StorePatient'"],
    ['FILE_NOT_FOUND', '/functions/0/operation', 'api/services.json'],
    ['FILE_NOT_FOUND', '/functions/1/operation', 'api/services.json'],
    ['FILE_NOT_FOUND', '/functions/2/operation', 'api/services.json'],
  ],
  // `http.myorg.io/ordersservices.json` lacks its `http://`: a relative path, and no such file
  '21-purchase-order-deadline.json': [
    ['INVALID_DURATION', '/timeouts/workflowExecTimeout/duration', "'PT30D' is not an ISO-8601 duration"],
    ['FILE_NOT_FOUND', '/functions/0/operation', 'http.myorg.io/ordersservices.json'],
    ['FILE_NOT_FOUND', '/functions/1/operation', 'http.myorg.io/ordersservices.json'],
    ['FILE_NOT_FOUND', '/functions/2/operation', 'http.myorg.io/ordersservices.json'],
    ['FILE_NOT_FOUND', '/functions/3/operation', 'http.myorg.io/ordersservices.json'],
  ],
  '22-accumulate-room-readings.json': [
    ['FILE_NOT_FOUND', '/functions/0/operation', 'http.myorg.io/ordersservices.json'],
    ['FILE_NOT_FOUND', '/functions/1/operation', 'http.myorg.io/ordersservices.json'],
  ],
  '23-car-vitals-checks-2.json': [
    ['UNKNOWN_FUNCTION', '/states/0/actions/0/functionRef', "did you mean 'checkTirePressure'?"],
    ['UNKNOWN_FUNCTION', '/states/0/actions/1/functionRef', "did you mean 'checkOilPressure'?"],
    ['UNKNOWN_FUNCTION', '/states/0/actions/2/functionRef', "did you mean 'checkCoolantLevel'?"],
    ['UNKNOWN_FUNCTION', '/states/0/actions/3/functionRef', "did you mean 'checkBattery'?"],
    ['UNKNOWN_EVENT', '/states/0/end/produceEvents/0/eventRef', "the workflow has no 'events'"],
    ['FILE_NOT_FOUND', '/functions/0/operation', 'mycarservices.json'],
    ['FILE_NOT_FOUND', '/functions/1/operation', 'mycarservices.json'],
    ['FILE_NOT_FOUND', '/functions/2/operation', 'mycarservices.json'],
    ['FILE_NOT_FOUND', '/functions/3/operation', 'mycarservices.json'],
  ],
  '24-book-lending.json': [
    ['UNKNOWN_STATE', '/states/4/eventConditions/1/transition', "unknown state 'Cancel Request'"],
    ['INVALID_DURATION', '/states/6/duration', "'PT2W' is not an ISO-8601 duration"],
    ['FILE_NOT_FOUND', '/functions', 'file://books/lending/functions.json'],
    ['FILE_NOT_FOUND', '/events', 'file://books/lending/events.json'],
  ],
  // the payment function is a gRPC operation written as a (default) rest function
  '26-online-food-ordering-1.yaml': [['INVALID_OPERATION', '/functions/4/operation', 'payments.proto#PaymentService#ChargeUser']],
  // the subflows use functions and events they do not declare (spec l.3834: subflows declare their own)
  '26-online-food-ordering-2.yaml': [
    ['UNKNOWN_EVENT', '/states/0/onEvents/0/eventRefs/0', "'Food Order Event' is not defined"],
    ['UNKNOWN_FUNCTION', '/states/0/onEvents/0/actions/0/functionRef/refName', "'Submit Order Function' is not defined"],
    ['UNKNOWN_FUNCTION', '/states/0/onEvents/0/actions/1/functionRef/refName', "'Get Order ETA Function' is not defined"],
  ],
  '26-online-food-ordering-3.yaml': [
    ['UNKNOWN_FUNCTION', '/states/0/actions/0/functionRef', "'Dispatch Courrier Function' is not defined"],
    ['UNKNOWN_EVENT', '/states/1/onEvents/0/eventRefs/0', "'Order Picked Up Event' is not defined"],
    ['UNKNOWN_FUNCTION', '/states/1/onEvents/0/actions/0/functionRef', "'Deliver Order Function' is not defined"],
    ['UNKNOWN_EVENT', '/states/2/onEvents/0/eventRefs/0', "'Order Delievered Event' is not defined"],
  ],
  '28-process-transactions.json': [
    ['UNKNOWN_FUNCTION', '/states/0/actions/1/functionRef', "unknown function 'Banking Service - Smaller Tx'; did you mean 'Banking Service - Smaller T'?"],
    // The spec example's AsyncAPI document is not part of it: asyncapi functions load theirs at validation.
    ['FILE_NOT_FOUND', '/functions/0/operation', "cannot load the AsyncAPI document of this asyncapi function from 'banking.yaml': no such file"],
    ['FILE_NOT_FOUND', '/functions/1/operation', "cannot load the AsyncAPI document of this asyncapi function from 'banking.yaml': no such file"],
  ],
};

/** file → the pointers of its rest functions whose remote OpenAPI document cannot be fetched (warnings). */
const UNREACHABLE: Record<string, string[]> = {
  '04-solving-math-problems.json': ['/functions/0/operation'],
  '09-applicant-request-decision.json': ['/functions/0/operation'],
  '10-provision-orders.json': ['/functions/0/operation'],
  '11-monitor-job.json': ['/functions/0/operation', '/functions/1/operation', '/functions/2/operation', '/functions/3/operation'],
  '12-send-cloudevent-on-workflow-completion.json': ['/functions/0/operation'],
  '13-monitor-patient-vital-signs.json': ['/functions/0/operation', '/functions/1/operation', '/functions/2/operation'],
  '14-finalize-college-application.json': ['/functions/0/operation'],
  '15-perform-customer-credit-check.json': ['/functions/0/operation', '/functions/1/operation'],
  '16-handle-car-auction-bids.json': ['/functions/0/operation'],
  '17-check-inbox-periodically.json': ['/functions/0/operation', '/functions/1/operation'],
  // in orderfunctions.yml; /functions/4 (a gRPC operation) is INVALID_OPERATION only
  '26-online-food-ordering-1.yaml': ['/functions/0/operation', '/functions/1/operation', '/functions/2/operation', '/functions/3/operation'],
  '27-continuing-as-a-new-execution.json': ['/functions/0/operation'],
};

let results: ValidationResult[] | undefined;
async function all(): Promise<ValidationResult[]> {
  results ??= await validateFiles([dir]);
  return results;
}

test('all 28 examples are found (31 definitions: two of them have subflows)', async () => {
  const names = (await all()).map((r) => basename(r.file));
  assert.equal(names.length, 31);
  assert.equal(new Set(names.map((n) => n.slice(0, 2))).size, 28);
});

test('examples without known defects are valid', async () => {
  for (const r of await all()) {
    const name = basename(r.file);
    if (KNOWN_DEFECTS[name]) continue;
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors, [], `${name} should be valid`);
  }
});

test('examples with known defects report exactly those errors', async () => {
  for (const r of await all()) {
    const name = basename(r.file);
    const expected = KNOWN_DEFECTS[name];
    if (!expected) continue;
    assert.equal(r.valid, false, name);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => [d.code, d.pointer]),
      expected.map(([code, pointer]) => [code, pointer]),
      `${name}: ${JSON.stringify(errors.map((d) => d.message), null, 1)}`,
    );
    errors.forEach((d, i) => assert.ok(`${d.message} ${d.hint ?? ''}`.includes(expected[i][2]), `${name}: '${d.message}' should mention ${expected[i][2]}`));
  }
});

test('example 28 also warns that iterationParam is an expression, not a name', async () => {
  const r = (await all()).find((x) => basename(x.file) === '28-process-transactions.json')!;
  const w = r.diagnostics.find((d) => d.severity === 'warning' && d.pointer === '/states/0/iterationParam');
  assert.ok(w, 'warning expected');
  assert.match(w.message, /iterationParam '\$\{ \.tx \}' is not a plain name/);
});

test('remote OpenAPI documents the spec names but does not ship are OPENAPI_UNREACHABLE warnings, each fetched once', async () => {
  const found: Record<string, string[]> = {};
  for (const r of await all()) {
    const pointers = r.diagnostics.filter((d) => d.code === 'OPENAPI_UNREACHABLE').map((d) => {
      assert.equal(d.severity, 'warning', `${basename(r.file)}: ${d.message}`);
      assert.match(d.message, /to check operation '[^']+': fetch failed \(getaddrinfo ENOTFOUND [\w.]+\)$/);
      return d.pointer;
    });
    if (pointers.length > 0) found[basename(r.file)] = pointers;
  }
  assert.deepEqual(found, UNREACHABLE);
  // One fetch per document and definition, not one per function: 11's four functions share one.
  assert.equal(blockedFetches.filter((u) => u === 'http://myapis.org/monitorapi.json').length, 1);
  assert.ok(blockedFetches.every((u) => /^http:\/\/my\w+\.org\//.test(u)), blockedFetches.join(', '));
});
