/**
 * @module engine/replay/external-events
 * External events inside one execution: waits by name (case-insensitive), events nobody waits
 * for yet buffered first-in first-out per name, withdrawal of waits that lost a whenAny, and the
 * routing keys of the open waits (what the store's wait-key index holds for the instance).
 */

import { fromPayload, type EventRaisedEvent } from '../history.js';
import { Task } from './task.js';

export class ExternalEvents {
  private readonly waiters = new Map<string, Task<unknown>[]>();
  private readonly waiterNames = new Map<Task<unknown>, string>();
  /** Routing keys of open waits (ctx.waitForExternalEvent's `keys`): the instance's wait keys. */
  private readonly waiterKeys = new Map<Task<unknown>, readonly string[]>();
  private readonly buffered: EventRaisedEvent[] = [];

  /**
   * A task for the next event named `name`: completed now from the buffer, or when it arrives.
   * `keys` are recorded while the wait stays open (not for a wait the buffer completes at once).
   */
  wait(name: string, keys?: readonly string[]): Task<any> {
    const key = name.toLowerCase();
    const task = new Task<unknown>();
    const idx = this.buffered.findIndex((b) => b.name.toLowerCase() === key);
    if (idx >= 0) {
      const [e] = this.buffered.splice(idx, 1);
      task.complete(fromPayload(e!.input));
      return task;
    }
    const queue = this.waiters.get(key) ?? [];
    queue.push(task);
    this.waiters.set(key, queue);
    this.waiterNames.set(task, key);
    if (keys !== undefined && keys.length > 0) this.waiterKeys.set(task, keys);
    return task;
  }

  /** The routing keys of every open wait, sorted and without repeats. */
  keys(): string[] {
    const all = new Set<string>();
    for (const keys of this.waiterKeys.values()) for (const k of keys) all.add(k);
    return [...all].sort();
  }

  /** Hands an arrived event to the oldest wait for its name, or buffers it. */
  deliver(e: EventRaisedEvent): void {
    const key = e.name.toLowerCase();
    const queue = this.waiters.get(key);
    const waiter = queue?.shift();
    if (queue && queue.length === 0) this.waiters.delete(key);
    if (waiter) {
      this.waiterNames.delete(waiter);
      this.waiterKeys.delete(waiter);
      waiter.complete(fromPayload(e.input));
    } else {
      this.buffered.push(e);
    }
  }

  /** The event names some task is waiting for now (inspection). */
  waitingNames(): string[] {
    return [...this.waiters.entries()].filter(([, ts]) => ts.length > 0).map(([n]) => n);
  }

  /**
   * Withdraws the external-event waits among `losers` — whenAny losers, or tasks the orchestration
   * abandoned — including those inside composite tasks, so they cannot swallow later events.
   */
  withdraw(losers: readonly Task<unknown>[]): void {
    for (const t of losers) {
      if (t.isComplete) continue;
      const key = this.waiterNames.get(t);
      if (key === undefined) {
        this.withdraw(t.waitsOn());
        continue;
      }
      this.waiterNames.delete(t);
      this.waiterKeys.delete(t);
      const queue = this.waiters.get(key);
      if (!queue) continue;
      const i = queue.indexOf(t);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0) this.waiters.delete(key);
    }
  }

  /** Removes and returns every buffered event (carried over by continue-as-new). */
  takeBuffered(): EventRaisedEvent[] {
    return this.buffered.splice(0);
  }
}
