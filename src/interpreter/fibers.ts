/**
 * @module interpreter/fibers
 * Concurrency inside one deterministic orchestration: several step generators (parallel branches,
 * foreach iterations, parallel actions) advanced as their tasks complete. The engine delivers one
 * history event at a time, so which fiber advances next is decided by history order alone.
 */
import { Task } from '../engine/replay/task.js';
import type { Step } from './run-context.js';

/**
 * A task completing with the index of the first of `tasks` to complete. Unlike ctx.whenAny it
 * withdraws nothing: the other fibers keep waiting on their tasks (events included).
 */
class FirstOf extends Task<number> {
  constructor(tasks: Task<unknown>[]) {
    super();
    const first = tasks.findIndex((t) => t.isComplete);
    if (first >= 0) {
      this.complete(first);
      return;
    }
    tasks.forEach((t, i) => t.addParent({ onChildCompleted: () => this.complete(i) }));
    this.tasks = tasks;
  }

  private readonly tasks: Task<unknown>[] = [];

  /** The fibers' tasks: abandoning a group nested in an abandoned fiber withdraws their event waits too. */
  override waitsOn(): readonly Task<unknown>[] {
    return this.tasks;
  }
}

/** Outcome of {@link runFibers}: each fiber's result, `undefined` where it did not finish. */
export interface FiberResults<T> {
  results: (T | undefined)[];
  finished: boolean[];
}

/**
 * Runs the fibers concurrently until `needed` of them have finished (default: all). The first
 * fiber to throw fails the whole group (fail-fast); unfinished fibers are abandoned: `abandon`
 * receives the tasks they were waiting on, so the caller can withdraw their event waits (their
 * pending activities may still run; their results are ignored), and the fibers are closed, so
 * nothing they have not started yet ever starts.
 */
export function* runFibers<T>(fibers: Step<T>[], abandon: (tasks: Task<unknown>[]) => void, needed = fibers.length): Step<FiberResults<T>> {
  const results: (T | undefined)[] = fibers.map(() => undefined);
  const finished = fibers.map(() => false);
  const current: (Task<unknown> | undefined)[] = fibers.map(() => undefined);
  let done = 0;

  // Advances fiber i with a resumption until it waits on an incomplete task or finishes.
  const advance = (i: number, resume: { value?: unknown; error?: unknown; first?: boolean }): void => {
    let r = resume;
    for (;;) {
      const step = r.first ? fibers[i].next() : r.error !== undefined ? fibers[i].throw(r.error) : fibers[i].next(r.value);
      if (step.done) {
        results[i] = step.value;
        finished[i] = true;
        current[i] = undefined;
        done += 1;
        return;
      }
      const t = step.value;
      if (!t.isComplete) {
        current[i] = t;
        return;
      }
      r = t.isFailed ? { error: t.getException() } : { value: t.getResult() };
    }
  };

  try {
    for (let i = 0; i < fibers.length && done < needed; i++) advance(i, { first: true });
    while (done < needed) {
      const waiting = current.flatMap((t, i) => (t ? [{ t, i }] : []));
      if (waiting.length === 0) break;
      const k = (yield new FirstOf(waiting.map((w) => w.t))) as number;
      const { t, i } = waiting[k];
      current[i] = undefined;
      advance(i, t.isFailed ? { error: t.getException() } : { value: t.getResult() });
    }
  } finally {
    // Whether enough fibers finished or one failed the group: nobody waits for the rest any more.
    const left = current.filter((t): t is Task<unknown> => t !== undefined && !t.isComplete);
    if (left.length > 0) abandon(left);
    // Close the unfinished fibers (started or not): their later steps — the next action, a retry,
    // a sleep — can never be scheduled. Their finally blocks run (nested groups abandon theirs).
    fibers.forEach((f, i) => {
      if (!finished[i]) f.return(undefined as T);
    });
  }
  return { results, finished };
}

/** What {@link runCancellable} needs from the run: abandoning tasks and terminating subflows. */
export interface CancelPort {
  abandon(tasks: Task<unknown>[]): void;
  terminate(instanceIds: string[], reason: string): Step<void>;
}

/**
 * {@link runFibers} for fibers that may start subflows (parallel branches, foreach iterations,
 * parallel actions). Each fiber gets its own list to record subflow instance ids in; when the group
 * ends — `needed` finished (atLeast) or one failed (fail-fast) — the subflows of the fibers that did
 * not finish are terminated (specs/semantics.md, "cancelled").
 */
export function* runCancellable<T>(port: CancelPort, makeFibers: ((subflows: string[]) => Step<T>)[], reason: { completed: string; failed: string }, needed = makeFibers.length): Step<FiberResults<T>> {
  const subflows: string[][] = makeFibers.map(() => []);
  const ended = makeFibers.map(() => false);
  function* tracked(i: number, fiber: Step<T>): Step<T> {
    const r = yield* fiber;
    ended[i] = true;
    return r;
  }
  const unfinished = () => subflows.flatMap((ids, i) => (ended[i] ? [] : ids));
  let outcome: FiberResults<T>;
  try {
    outcome = yield* runFibers(
      makeFibers.map((make, i) => tracked(i, make(subflows[i]))),
      (t) => port.abandon(t),
      needed,
    );
  } catch (err) {
    const ids = unfinished();
    if (ids.length > 0) yield* port.terminate(ids, reason.failed);
    throw err;
  }
  const ids = unfinished();
  if (ids.length > 0) yield* port.terminate(ids, reason.completed);
  return outcome;
}
