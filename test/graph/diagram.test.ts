/**
 * graph/diagram: the ELK layout of a compiled graph and its SVG — every state, branch, action, end
 * kind and edge label is there, compound boxes contain their children, and the SVG is well-formed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DiagramNodeKind, EndKind, layoutDiagram, loadWorkflow, loadWorkflowText, renderSvg, type DiagramNode } from '../../src/index.js';

const root = new URL('../../', import.meta.url).pathname;

/** One of each: switch conditions + default, parallel branches, foreach, onErrors, compensation, every end kind. */
export const EVERYTHING = `
id: everything
version: '1.0'
specVersion: '0.8'
start: Route
functions:
  - {name: charge, type: expression, operation: '.'}
  - {name: refund, type: expression, operation: '.'}
  - {name: price, type: expression, operation: '. * 2'}
errors:
  - {name: Declined, code: '402'}
states:
  - name: Route
    type: switch
    dataConditions:
      - {name: big order, condition: '\${ .total > 100 }', transition: Fan}
      - {condition: '\${ .stop == true }', end: {terminate: true}}
    defaultCondition: {transition: Each}
  - name: Fan
    type: parallel
    branches:
      - name: left
        actions: [{name: pay, functionRef: charge}]
      - name: right
        actions: [{functionRef: price}, {functionRef: charge}]
    transition: Pay
  - name: Each
    type: foreach
    inputCollection: '\${ .items }'
    actions: [{name: priceOne, functionRef: price}]
    end: {continueAs: {workflowId: everything-next}}
  - name: Pay
    type: operation
    actions: [{functionRef: charge}]
    compensatedBy: Refund
    onErrors:
      - {errorRef: Declined, end: {compensate: true}}
    end: true
  - name: Refund
    type: operation
    usedForCompensation: true
    actions: [{functionRef: refund}]
`;

function flatten(nodes: readonly DiagramNode[]): DiagramNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

/** Tag balance + attribute quoting: enough to catch broken markup (the browser test parses it too). */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<([^>]*)>/g)) {
    if (m[5] !== undefined) assert.fail(`malformed tag <${m[5].slice(0, 60)}>`);
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every element is closed');
  assert.doesNotMatch(svg.replace(/&(amp|lt|gt|quot|apos);/g, ''), /&/, 'every & is an entity');
}

test('the layout has every state, branch, action and end kind, compound boxes around their children', async () => {
  const g = await loadWorkflowText(EVERYTHING);
  const d = await layoutDiagram(g);
  const all = flatten(d.nodes);
  const states = all.filter((n) => n.kind === DiagramNodeKind.State).map((n) => n.state);
  assert.deepEqual(states.sort(), ['Each', 'Fan', 'Pay', 'Refund', 'Route']);
  const fan = all.find((n) => n.state === 'Fan' && n.kind === DiagramNodeKind.State)!;
  assert.deepEqual(fan.children!.map((c) => [c.kind, c.label]), [[DiagramNodeKind.Branch, 'left'], [DiagramNodeKind.Branch, 'right']]);
  const right = fan.children![1]!;
  assert.deepEqual(right.children!.map((c) => c.sublabel), ['price', 'charge']);
  assert.equal(right.edges!.length, 1, 'the two actions of a branch are chained');
  for (const c of fan.children!) {
    assert.ok(c.x >= 0 && c.y >= 0 && c.x + c.width <= fan.width && c.y + c.height <= fan.height, `branch ${c.label} lies inside the parallel box`);
  }
  const each = all.find((n) => n.state === 'Each' && n.kind === DiagramNodeKind.State)!;
  assert.deepEqual(each.children!.map((c) => c.label), ['priceOne']);
  assert.equal(all.find((n) => n.state === 'Refund')!.compensation, true);
  const ends = all.filter((n) => n.kind === DiagramNodeKind.End).map((n) => [n.state, n.endKind, n.sublabel]);
  assert.deepEqual(ends.sort(), [
    ['Each', EndKind.ContinueAs, 'everything-next'],
    ['Pay', EndKind.Compensate, undefined],
    ['Pay', EndKind.End, undefined],
    ['Route', EndKind.Terminate, undefined],
  ]);
  const labels = d.edges.map((e) => [e.kind, e.fromState, e.toState ?? 'end', e.label]);
  assert.deepEqual(
    labels.filter((l) => l[3] !== undefined).sort(),
    [
      ['compensation', 'Pay', 'Refund', 'compensatedBy'],
      ['condition', 'Route', 'Fan', 'big order'],
      ['condition', 'Route', 'end', '.stop == true'],
      ['default', 'Route', 'Each', 'default'],
      ['error', 'Pay', 'end', 'onError Declined'],
    ],
  );
  for (const e of d.edges) {
    assert.ok(e.points.length >= 2, `edge ${e.id} is routed`);
    if (e.label) assert.ok(e.labelBox, `edge ${e.id} has its label placed`);
  }
  // Boxes of one level do not overlap (a real layout, not stacked boxes).
  for (const a of d.nodes) for (const b of d.nodes) {
    if (a === b) continue;
    const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
    assert.ok(apart, `${a.id} and ${b.id} do not overlap`);
  }
});

test('the SVG is well-formed and shows the states, labels and end kinds; text is escaped', async () => {
  const g = await loadWorkflowText(EVERYTHING);
  const svg = renderSvg(await layoutDiagram(g));
  assertWellFormed(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const s of ['Route', 'Fan', 'Each', 'Pay', 'Refund']) assert.match(svg, new RegExp(`<g class="swd-node swd-state[^"]*" data-node="state:${s}" data-state="${s}">`));
  for (const t of ['big order', 'default', 'onError Declined', 'compensatedBy', 'terminate', 'continueAs', 'compensate', 'everything-next', 'left', 'right', 'priceOne']) {
    assert.ok(svg.includes(`>${t}</text>`), `the SVG shows '${t}'`);
  }
  assert.ok(!svg.includes('.total &gt; 100'), 'a named condition shows its name, not its expression');
  assert.ok(svg.includes('>.stop == true</text>'), 'an unnamed condition shows its expression');
  assert.match(svg, /class="swd-edge swd-edge-error"[^>]*data-from="Pay"/);
  assert.match(svg, /@media \(prefers-color-scheme: dark\)/);
});

test('an event-based switch labels its edges with the event conditions, and a transition that compensates says so', async () => {
  const g = await loadWorkflowText([
    'id: events',
    "specVersion: '0.8'",
    'events:',
    '  - {name: Approved, type: approved, source: test}',
    '  - {name: Denied, type: denied, source: test}',
    'states:',
    '  - name: Wait',
    '    type: switch',
    '    eventConditions:',
    '      - {name: yes, eventRef: Approved, transition: Done}',
    '      - {eventRef: Denied, transition: {nextState: Undo, compensate: true}}',
    '    defaultCondition: {end: true}',
    '  - {name: Done, type: inject, data: {}, end: true}',
    '  - {name: Undo, type: inject, data: {}, end: true}',
  ].join('\n'));
  const d = await layoutDiagram(g);
  const labels = d.edges.filter((e) => e.fromState === 'Wait').map((e) => [e.kind, e.toState ?? 'end', e.label]);
  assert.deepEqual(labels.sort(), [['condition', 'Done', 'yes'], ['condition', 'Undo', 'on Denied · compensate'], ['default', 'end', 'default']].sort());
  const svg = renderSvg(d);
  for (const t of ['yes', 'on Denied · compensate', 'default']) assert.ok(svg.includes(`>${t}</text>`), t);
});

test('names with markup characters are escaped in the SVG', async () => {
  const g = await loadWorkflowText(['id: "a<b"', "specVersion: '0.8'", 'states:', '  - {name: "x & <y>", type: inject, data: {}, end: true}'].join('\n'));
  const svg = renderSvg(await layoutDiagram(g));
  assertWellFormed(svg);
  assert.ok(svg.includes('data-state="x &amp; &lt;y&gt;"'));
  assert.ok(!svg.includes('<y>'));
});

test('the samples draw: order-processing has its compensation and error edges', async () => {
  const g = await loadWorkflow(`${root}samples/order-processing/order.yaml`);
  const svg = renderSvg(await layoutDiagram(g));
  assertWellFormed(svg);
  for (const t of ['Reserve', 'Charge', 'Ship', 'Release', 'compensatedBy', 'onError CardDeclined']) assert.ok(svg.includes(`>${t}</text>`), t);
});

test('swirl graph --format svg prints the SVG of the same renderer; a bad format is refused', async () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'test/cli/run-cli.ts', 'graph', ...args], { cwd: root, encoding: 'utf8' });
  const svg = run('samples/fan-out/quote.yaml', '--format', 'svg');
  assert.equal(svg.status, 0, svg.stderr);
  assertWellFormed(svg.stdout);
  assert.ok(svg.stdout.includes('>PriceLines</text>'));
  // The same renderer as the library (and the API's diagram.svg): the CLI prints exactly its output.
  assert.equal(svg.stdout.trimEnd(), renderSvg(await layoutDiagram(await loadWorkflow(`${root}samples/fan-out/quote.yaml`))).trimEnd());
  const bad = run('samples/fan-out/quote.yaml', '--format', 'png');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /argument 'png' is invalid. Allowed choices are mermaid, svg, json/);
});
