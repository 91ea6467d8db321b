/**
 * @module bench/recovery-workload
 * The mix of bench/recovery.ts, shared by its `swirl serve` and embedded-engine variants: which
 * instance is which kind, which calls (`k:step`) each makes, and the app that counts every
 * execution of a call and holds the first call of each `slow` instance open (answering its
 * re-execution at once).
 */

import type { ServerResponse } from 'node:http';
import { answerJson, startJsonApp } from './serve-http.js';

export type Kind = 'slow' | 'sleep' | 'chain';

/** Instances whose first call is held: below the default activityConcurrency (100), so the others still run before the kill. */
export const slowCount = (total: number): number => Math.min(80, Math.floor(total / 10));
export const kindOf = (i: number, total: number): Kind => (i < slowCount(total) ? 'slow' : i % 2 === 0 ? 'sleep' : 'chain');
/** The steps (calls) of an instance: a sleeper sleeps 1 s, then makes call 3; the others make calls 1, 2, 3. */
export const stepsOf = (kind: Kind): number[] => (kind === 'sleep' ? [3] : [1, 2, 3]);

/** The counting app on loopback. */
export async function startCountingApp(): Promise<{ port: number; executions: Map<string, number>; held: Map<string, ServerResponse>; close: () => void }> {
  const executions = new Map<string, number>();
  const held = new Map<string, ServerResponse>();
  const app = await startJsonApp((body, _req, res) => {
    const key = `${String(body.k)}:${String(body.step)}`;
    const n = (executions.get(key) ?? 0) + 1;
    executions.set(key, n);
    if (body.kind === 'slow' && body.step === 1 && n === 1) {
      held.set(key, res);
      res.once('close', () => held.delete(key));
      return;
    }
    answerJson(res, { [`s${String(body.step)}`]: n });
  });
  return { port: app.port, executions, held, close: () => app.server.close() };
}

/** What the app counted, judged: re-executions allowed only for calls in flight at the kill. */
export function judgeExecutions(
  total: number,
  executions: Map<string, number>,
  heldAtKill: Set<string>,
  answeredAtKill: Set<string>,
): { reExecutedHeld: number; reExecutedAnswered: number; problems: string[] } {
  const problems: string[] = [];
  let reExecutedHeld = 0;
  let reExecutedAnswered = 0;
  let expected = 0;
  for (let i = 0; i < total; i++) {
    for (const s of stepsOf(kindOf(i, total))) {
      expected++;
      const key = `${i}:${s}`;
      const n = executions.get(key) ?? 0;
      if (n === 0) problems.push(`call ${key} never executed`);
      if (n > 2) problems.push(`call ${key} executed ${n} times`);
      if (n === 2 && heldAtKill.has(key)) reExecutedHeld++;
      else if (n === 2 && answeredAtKill.has(key)) reExecutedAnswered++;
      else if (n === 2) problems.push(`call ${key} executed twice though it started after the restart`);
    }
  }
  if (executions.size !== expected) problems.push(`${executions.size} distinct calls, ${expected} expected`);
  return { reExecutedHeld, reExecutedAnswered, problems };
}
