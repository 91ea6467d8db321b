/**
 * @module test/interpreter/durability-workflow
 * The workflow of the durability test (sleeps, retries, foreach, parallel) and a host whose
 * service fails at random (retried), shared by the child process and the reference run.
 */
import { WorkflowError } from '../../src/errors.js';

export const DURABLE_WORKFLOW = {
  id: 'durable',
  specVersion: '0.8',
  errors: [{ name: 'Unavailable', code: '503' }],
  retries: [{ name: 'patient', maxAttempts: 50, delay: 'PT0.02S' }],
  functions: [
    { name: 'square', type: 'custom', operation: 'invoke:svc/square' },
    { name: 'label', type: 'expression', operation: '"item-" + (.n | tostring)' },
  ],
  states: [
    { name: 'Start', type: 'inject', data: { numbers: [1, 2, 3, 4, 5, 6] }, transition: 'Nap' },
    { name: 'Nap', type: 'sleep', duration: 'PT0.3S', transition: 'Each' },
    {
      name: 'Each',
      type: 'foreach',
      inputCollection: '${ .numbers }',
      iterationParam: 'n',
      batchSize: 2,
      outputCollection: '${ .squares }',
      actions: [
        {
          functionRef: { refName: 'square', arguments: { n: '${ .n }' } },
          retryRef: 'patient',
          retryableErrors: ['Unavailable'],
          sleep: { after: 'PT0.1S' },
          actionDataFilter: { results: '${ .sq }' },
        },
      ],
      transition: 'Both',
    },
    {
      name: 'Both',
      type: 'parallel',
      branches: [
        { name: 'Left', actions: [{ functionRef: { refName: 'label', arguments: { n: 1 } }, sleep: { before: 'PT0.4S' }, actionDataFilter: { toStateData: '${ .left }' } }] },
        {
          name: 'Right',
          actions: [
            { functionRef: { refName: 'square', arguments: { n: 10 } }, retryRef: 'patient', retryableErrors: ['Unavailable'], actionDataFilter: { results: '${ .sq }', toStateData: '${ .right }' } },
          ],
        },
      ],
      transition: 'Final',
    },
    { name: 'Final', type: 'sleep', duration: 'PT0.2S', end: true },
  ],
};

/** A service that fails a third of the calls with 503. */
export function flakyHost() {
  return {
    async invokeService(req: { method: string; data?: unknown }) {
      if (Math.random() < 0.33) throw new WorkflowError('503', 'try again');
      const n = (req.data as { n: number }).n;
      return { status: 200, data: { sq: n * n }, headers: {} };
    },
    async invokeBinding(): Promise<never> {
      throw new Error('unused');
    },
    async publish() {},
    async subscribe() {
      return { close: async () => undefined };
    },
    async getSecret() {
      return undefined;
    },
    async close() {},
  };
}
