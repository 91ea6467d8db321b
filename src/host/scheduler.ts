/**
 * @module host/scheduler
 * Durable start schedules (spec §Schedule Definition: `start.schedule` with `interval` or `cron`).
 * Each run is an instance with a deterministic id `<workflow>-sched-<due ms>`, created ahead of
 * time as a scheduled start (PENDING until due) with the REJECT reuse policy. The store therefore
 * records every run: after a restart the pre-created run still fires (even if it fell due while
 * the server was down), later missed due times are created in order (nothing skipped), and a
 * run created twice is refused by id (nothing doubled).
 *
 * Several nodes (specs/multi-node.md): every node ticks every schedule; a run is created with the
 * REJECT policy (only one node's create succeeds) and then recorded as a tick in the store
 * (`recordScheduleTick`), which outlives the run's purge. Each tick starts from the latest
 * recorded tick of any node, so a node that was behind or down never creates a run again.
 */
import type { SwirlError } from '../errors.js';
import type { WorkflowGraph } from '../graph/types.js';
import { nextScheduleTimes } from '../interpreter/index.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../engine/logger.js';
import { ReusePolicy } from '../store/index.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** How often due schedules are checked. @default 1000 */
  tickMs?: number;
  /** At most this many missed runs are created per workflow and tick (the rest follow on later ticks). @default 100 */
  maxCatchUp?: number;
  logger?: Logger;
  /** Current time. @default Date.now */
  now?: () => number;
}

const PREFIX = '-sched-';

/** Recorded ticks are kept a week (each schedule's latest is always kept). */
const TICK_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** How often old ticks are pruned. */
const TICK_PRUNE_EVERY_MS = 10 * 60 * 1000;

/** The instance id of the run of `workflowId` due at `dueMs`. */
export function scheduledInstanceId(workflowId: string, dueMs: number): string {
  return `${workflowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}${PREFIX}${dueMs}`;
}

interface Tracked {
  graph: WorkflowGraph;
  /** Due time of the latest run created (or found in the store). */
  last?: number;
  initialised: boolean;
}

/** Starts scheduled workflows while the host runs. */
export class Scheduler {
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly tickMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  private lastPrune = 0;

  constructor(
    private readonly engine: Engine,
    private readonly options: SchedulerOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 1000;
    this.maxCatchUp = options.maxCatchUp ?? 100;
    this.now = options.now ?? Date.now;
  }

  /**
   * Adds a workflow; ignored when it has no schedule, or when its start state is an event state:
   * such instances are created by their start event (spec §Schedule Definition), not by time.
   */
  add(graph: WorkflowGraph): void {
    if (!graph.schedule || (!graph.schedule.cron && !graph.schedule.interval)) return;
    if (graph.nodes.get(graph.start)?.type === 'event') return;
    this.tracked.set(graph.id, { graph, initialised: false });
  }

  /** The workflows being scheduled. */
  workflows(): string[] {
    return [...this.tracked.keys()];
  }

  /** Starts ticking (the first tick runs now). */
  start(): void {
    if (this.timer) return;
    const loop = (): void => {
      this.running = this.tick()
        .catch((err) => this.options.logger?.error(`schedule tick failed: ${(err as Error).message}`, { event: 'host.schedule-failed' }))
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.timer = setTimeout(loop, this.tickMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops ticking; waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Creates every run that is due, and the next future run, for each scheduled workflow. One
   * workflow's failure is logged under its name and does not keep the others from running; a
   * schedule that cannot be computed (a DefinitionError) is dropped, not retried every tick.
   */
  async tick(): Promise<void> {
    for (const t of [...this.tracked.values()]) {
      try {
        await this.tickOne(t);
      } catch (err) {
        const invalid = (err as SwirlError).code === 'INVALID_SCHEDULE';
        this.options.logger?.error(`schedule of workflow '${t.graph.id}' failed${invalid ? ' and is stopped' : ''}: ${(err as Error).message}`, {
          event: 'host.schedule-failed',
          workflow: t.graph.id,
        });
        if (invalid) this.tracked.delete(t.graph.id);
      }
    }
  }

  private async tickOne(t: Tracked): Promise<void> {
    if (!t.initialised) {
      // Before migration 4 only the runs themselves recorded ticks.
      t.last = (await this.engine.store.lastScheduleTick(t.graph.id)) ?? (await this.latestRun(t.graph.id));
      t.initialised = true;
    } else {
      // Another node may have created runs since: continue after the latest one of any node.
      const recorded = await this.engine.store.lastScheduleTick(t.graph.id);
      if (recorded !== undefined && (t.last === undefined || recorded > t.last)) t.last = recorded;
    }
    const now = this.now();
    if (now - this.lastPrune >= TICK_PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.engine.store.pruneScheduleTicks(now - TICK_RETENTION_MS);
    }
    let created = 0;
    // Keep exactly one run ahead: create runs until the latest one lies in the future.
    while ((t.last === undefined || t.last <= now) && created < this.maxCatchUp) {
      const [next] = nextScheduleTimes(t.graph, t.last ?? now, 1);
      if (next === undefined) break;
      await this.create(t.graph, next);
      t.last = next;
      created += 1;
    }
  }

  private async create(graph: WorkflowGraph, dueMs: number): Promise<void> {
    const instanceId = scheduledInstanceId(graph.id, dueMs);
    try {
      await this.engine.client.start(graph.id, {}, { instanceId, startAt: dueMs, reusePolicy: ReusePolicy.REJECT });
      this.options.logger?.info(`scheduled run '${instanceId}' of '${graph.id}' created for ${new Date(dueMs).toISOString()}`, { event: 'host.schedule-run', instanceId });
    } catch (err) {
      // Already created (by another node, an earlier process, or before a crash): this is what
      // makes runs exactly-once.
      if ((err as SwirlError).code !== 'INSTANCE_EXISTS') throw err;
    }
    // Recorded after the run exists: a crash in between leaves the run, whose id refuses a second one.
    await this.engine.store.recordScheduleTick(graph.id, dueMs, this.now());
  }

  /** The due time of the latest run recorded in the store, found by the deterministic ids. */
  private async latestRun(workflowId: string): Promise<number | undefined> {
    const prefix = scheduledInstanceId(workflowId, 0).slice(0, -1);
    let latest: number | undefined;
    let pageToken: string | undefined;
    do {
      const page = await this.engine.client.list({ name: workflowId }, { pageSize: 1000, ...(pageToken !== undefined ? { pageToken } : {}) });
      for (const m of page.instances) {
        if (!m.instanceId.startsWith(prefix)) continue;
        const due = Number(m.instanceId.slice(prefix.length));
        if (Number.isSafeInteger(due) && (latest === undefined || due > latest)) latest = due;
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return latest;
  }
}
