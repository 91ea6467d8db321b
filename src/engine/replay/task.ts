/**
 * @module engine/replay/task
 * Tasks are what an orchestration yields: a pending result that history completes. Composite tasks
 * (whenAll, whenAny) complete from their children. Completion is synchronous and driven only by
 * history events, so a replay completes the same tasks in the same order.
 */

import { WorkflowError } from '../../errors.js';
import type { FailureDetails } from '../history.js';

/** The error an orchestration sees when a task it awaited failed (activity, sub-orchestration, …). */
export class TaskFailedError extends WorkflowError {
  /** The failure as recorded in history. */
  readonly failure: FailureDetails;
  /** The id of the task (its sequence id). */
  readonly taskId: number;
  constructor(message: string, taskId: number, failure: FailureDetails, code = 'TASK_FAILED') {
    super(code, message, { name: 'TaskFailedError', details: failure.details, nonRetryable: failure.nonRetryable });
    this.failure = failure;
    this.taskId = taskId;
  }
}

/** Something a composite task listens to. */
interface TaskParent {
  onChildCompleted(child: Task<unknown>): void;
}

/**
 * A durable task. `isComplete` turns true exactly once, with either a result or a failure.
 * Yield it from an orchestration to wait for it.
 */
export class Task<T> {
  private state: 'pending' | 'completed' | 'failed' = 'pending';
  private value: T | undefined;
  private error: TaskFailedError | undefined;
  private parents: TaskParent[] = [];

  /** True once completed or failed. */
  get isComplete(): boolean {
    return this.state !== 'pending';
  }
  /** True if it completed with a failure. */
  get isFailed(): boolean {
    return this.state === 'failed';
  }
  /** The result; throws the task's failure if it failed, and an error if still pending. */
  getResult(): T {
    if (this.state === 'failed') throw this.error;
    if (this.state === 'pending') throw new Error('the task is not complete yet');
    return this.value as T;
  }
  /** The failure, if it failed. */
  getException(): TaskFailedError | undefined {
    return this.error;
  }

  /** @internal Completes the task and notifies composites waiting on it. */
  complete(value: T): void {
    if (this.state !== 'pending') return;
    this.state = 'completed';
    this.value = value;
    this.notify();
  }

  /** @internal Fails the task and notifies composites waiting on it. */
  fail(error: TaskFailedError): void {
    if (this.state !== 'pending') return;
    this.state = 'failed';
    this.error = error;
    this.notify();
  }

  /** @internal */
  addParent(parent: TaskParent): void {
    this.parents.push(parent);
  }

  /**
   * The tasks this one waits on (composites: their children; a plain task: none). Lets the
   * runtime find the external-event waits inside a task the orchestration abandons.
   */
  waitsOn(): readonly Task<unknown>[] {
    return [];
  }

  private notify(): void {
    const parents = this.parents;
    this.parents = [];
    for (const p of parents) p.onChildCompleted(this as Task<unknown>);
  }
}

/**
 * Completes with all children's results in order, or fails with the first child failure
 * (fail-fast, like durabletask's whenAll). On that failure `onFailed` (when given) receives the
 * children still pending, so the runtime can withdraw their external-event waits: nobody will
 * wait on them through this whenAll any more.
 */
export class WhenAllTask<T> extends Task<T[]> implements TaskParent {
  private remaining: number;
  constructor(
    private readonly children: Task<T>[],
    private readonly onFailed?: (pending: Task<T>[]) => void,
  ) {
    super();
    this.remaining = children.length;
    if (children.length === 0) {
      this.complete([]);
      return;
    }
    for (const c of children) {
      if (c.isComplete) this.onChildCompleted(c as Task<unknown>);
      else c.addParent(this);
    }
  }
  onChildCompleted(child: Task<unknown>): void {
    if (this.isComplete) return;
    if (child.isFailed) {
      this.fail(child.getException()!);
      this.onFailed?.(this.children.filter((c) => !c.isComplete));
      return;
    }
    this.remaining -= 1;
    if (this.remaining === 0) this.complete(this.children.map((c) => c.getResult()));
  }
  override waitsOn(): readonly Task<unknown>[] {
    return this.children as Task<unknown>[];
  }
}

/**
 * Completes with the first child that completes (successfully or not) — the winner Task itself, so
 * the orchestration can tell which one won (`winner === timeout`). It never fails.
 */
export class WhenAnyTask<T> extends Task<Task<T>> implements TaskParent {
  constructor(
    private readonly children: Task<T>[],
    private readonly onDecided: (losers: Task<T>[]) => void,
  ) {
    super();
    if (children.length === 0) throw new Error('whenAny needs at least one task');
    for (const c of children) {
      if (c.isComplete) {
        this.onChildCompleted(c as Task<unknown>);
        return;
      }
    }
    for (const c of children) c.addParent(this);
  }
  onChildCompleted(child: Task<unknown>): void {
    if (this.isComplete) return;
    this.complete(child as Task<T>);
    this.onDecided(this.children.filter((c) => c !== (child as Task<T>) && !c.isComplete));
  }
  override waitsOn(): readonly Task<unknown>[] {
    return this.children as Task<unknown>[];
  }
}
