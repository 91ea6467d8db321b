/**
 * @module store/postgres
 * The PostgreSQL backend of the {@link Store} port, shared by any number of engine nodes: a `pg`
 * pool, named prepared statements, one transaction per write (retried on deadlock), claims with
 * `FOR UPDATE SKIP LOCKED`, lease expiry and visibility judged in the database clock's frame, and
 * LISTEN/NOTIFY wake-ups (postgres-notify.ts). Specification: specs/store-postgres.md.
 */

import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { InfrastructureError } from '../errors.js';
import { claimActivities, claimOrchestrations, type DbClaim } from './postgres-claims.js';
import { countInstances, deleteUnusedDefinitions, getDefinition, listDefinitions, pendingWork, putDefinition, queryInstances, queuedWork } from './postgres-inspection.js';
import { CompletionBatcher } from './postgres-completion-batch.js';
import { PgNotifier } from './postgres-notify.js';
import { oneStatementTurn } from './postgres-turn-function.js';
import { TurnBatcher } from './postgres-turn-batch.js';
import { ClaimBatcher } from './postgres-claim-batch.js';
import { InstanceReadBatcher } from './postgres-read-batch.js';
import { CreateBatcher } from './postgres-create-batch.js';
import { KeyedOrder } from './postgres-order.js';
import { createPool, measureClockOffset, migrate, parsePostgresUrl, type PostgresLocation } from './postgres-schema.js';
import { run } from './postgres-sql.js';
import { autocommit, read, transaction, type Tx, type TxStats } from './postgres-tx.js';
import { checkFirstTurn } from './first-turn.js';
import { leaseLost, PgTurnWriter } from './postgres-turn.js';
import { toHistoryRecord, type HistoryRow } from './sqlite-rows.js';
import {
  isTerminalStatus,
  StoreFaultCode,
  type ActivityWorkItem,
  type ClaimActivitiesRequest,
  type ClaimOrchestrationsRequest,
  type CommittedTurn,
  type CompleteActivityRequest,
  type CreateInstanceRequest,
  type CreatedInstance,
  type DefinitionRecord,
  type EventClaim,
  type EventClaimRequest,
  type HistoryRecord,
  type InstancePage,
  type InstanceCount,
  type InstanceCountQuery,
  type InstanceQuery,
  type InstanceRecord,
  type NewMessage,
  type OrchestrationWorkItem,
  type PendingWork,
  type QueuedWorkCount,
  type Store,
  type StoreFeatures,
  type StoreChange,
  type TurnCommit,
} from './types.js';


/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user@host:port/db?schema=name` (see specs/store-postgres.md). */
  url: string;
  /** Pool size. @default 10 */
  poolSize?: number;
  /** How long a call waits for a pooled connection (or a new one) before failing. @default 10000 */
  connectionTimeoutMs?: number;
  /**
   * The clock of the engine using this store (the same `now` its calls pass). Its offset from the
   * database clock is measured at open, and every scheduling time is translated by it, so nodes
   * whose clocks disagree still agree on leases and visibility. @default Date.now
   */
  clock?: () => number;
  /**
   * Measured offsets smaller than this are taken as 0: round-trip noise, far below any lease, and
   * a reopened store then reads back exactly the times it wrote. @default 250
   */
  clockToleranceMs?: number;
  /** LISTEN for other nodes' changes (wake-ups). @default true */
  listen?: boolean;
  /**
   * Group commit of turns (postgres-turn-batch.ts): how many turn-commit statements may be in
   * flight at once; turns arriving while all are busy commit together in the next. 0: off, each
   * turn its own statement. @default 1
   */
  turnCommitsInFlight?: number;
  /**
   * Sticky claims (specs/store-postgres.md): work this node's turns created (an instance's next
   * turn, the tasks a turn scheduled) is claimed by this node first; other nodes take it only
   * once it has been ready this long — so the node that holds the instance's runtime in its
   * cache runs its next turn, and a dead node's work still moves on. 0: off (any node at once).
   * @default 2000
   */
  stickyClaimsMs?: number;
  /**
   * Declare store feature `fusedStart`, so that the engine commits a start's first turn with its
   * create. The store honours `CreateInstanceRequest.firstTurn` either way; off by default because
   * here it costs more than it saves: the fused create is a transaction of ~9 round trips, while
   * the claimed create and the first turn are one statement each (bench/README.md "h-fuse": 13.0
   * vs 6.0 round trips per 3-step chain at c=1, p50 5.3 vs 4.3 ms). @default false
   */
  fusedStart?: boolean;
}

/** How long other nodes leave a node's work to it (PostgresStoreOptions.stickyClaimsMs). */
const DEFAULT_STICKY_CLAIMS_MS = 2000;

/** Opens (creating and migrating the schema as needed) a PostgreSQL store. */
export async function openPostgresStore(options: string | PostgresStoreOptions): Promise<PostgresStore> {
  const o = typeof options === 'string' ? { url: options } : options;
  const location = parsePostgresUrl(o.url);
  const pool = createPool(location, { max: o.poolSize ?? 10, connectionTimeoutMs: o.connectionTimeoutMs ?? 10_000 });
  // An idle connection that dies (PostgreSQL restarted) is an 'error' event on the pool: without a
  // listener it would crash the process. The pool drops it and opens a new one when needed.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, location.schema);
    const measured = await measureClockOffset(pool, o.clock ?? Date.now);
    const offset = Math.abs(measured) < (o.clockToleranceMs ?? 250) ? 0 : measured;
    const store = new PostgresStore(pool, location, offset, o.turnCommitsInFlight ?? 1, o.stickyClaimsMs ?? DEFAULT_STICKY_CLAIMS_MS, o.fusedStart === true);
    if (o.listen !== false) await store.startListening();
    return store;
  } catch (cause) {
    await pool.end().catch(() => undefined);
    if (cause instanceof InfrastructureError) throw cause;
    throw new InfrastructureError('STORE_OPEN_FAILED', `cannot open the PostgreSQL store: ${(cause as Error).message}`, { cause });
  }
}

/** The PostgreSQL {@link Store}. Create it with {@link openPostgresStore}. */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /** Claim by instance ids and complete tasks inside a turn; pre-leased tasks, claim-free turns and claiming creates (specs/store-postgres.md, "Turn shortcuts"). */
  readonly features: StoreFeatures;
  /** Transactions committed and retries after deadlocks / serialization failures, since open. */
  readonly stats: TxStats = { transactions: 0, retries: 0 };
  private readonly turns: PgTurnWriter;
  private readonly notifier: PgNotifier;
  /** Concurrent activity completions commit together (postgres-completion-batch.ts). */
  private readonly completions: CompletionBatcher;
  /** Concurrent one-statement turns commit together (postgres-turn-batch.ts). */
  readonly turnBatches: TurnBatcher;
  /** Creates of free ids committed together (postgres-create-batch.ts). */
  readonly createBatches: CreateBatcher;
  /** Concurrent one-instance claims (inline activity completions) share statements (postgres-claim-batch.ts). */
  readonly claimBatches: ClaimBatcher;
  /** Concurrent getInstance reads share statements (postgres-read-batch.ts). */
  readonly instanceReads: InstanceReadBatcher;
  /** Calls about one instance apply in call order (see postgres-order.ts). */
  private readonly order = new KeyedOrder();
  private closed = false;
  /**
   * The next wake an empty idle probe read (database ms) at the caller's `now`, and the notifier's
   * announcement count then: the claim loop's nextWakeAt(now) right after takes it instead of a
   * round trip, unless this store committed anything since (a turn that unlocked an instance with
   * a timer due, new work: it may be claimable sooner).
   */
  private probedWake: { now: number; at: number | null; work: number } | undefined;
  /**
   * This store's node: recorded on the instances its turns finish and the tasks they create
   * (migration 9), so that its claims can prefer them (sticky claims). New at every open.
   */
  readonly nodeId = randomBytes(6).toString('base64url');

  /**
   * @param offsetMs how far the caller's clock is ahead of the database clock: scheduling times
   *                 are stored as `t - offsetMs` (database frame) and read back as `+ offsetMs`.
   */
  constructor(
    readonly pool: pg.Pool,
    readonly location: PostgresLocation,
    readonly offsetMs: number,
    turnCommitsInFlight = 1,
    /** PostgresStoreOptions.stickyClaimsMs (0: off). */
    readonly stickyClaimsMs = 0,
    /** PostgresStoreOptions.fusedStart. */
    fusedStart = false,
  ) {
    this.features = { inlineActivityCompletion: true, turnShortcuts: true, ...(fusedStart ? { fusedStart: true } : {}) };
    this.turns = new PgTurnWriter((t) => this.toDb(t), this.nodeId);
    this.turnBatches = new TurnBatcher(pool, (body) => this.statement(body), (t) => this.toDb(t), turnCommitsInFlight, this.nodeId);
    this.claimBatches = new ClaimBatcher(pool, (body) => this.statement(body), (t) => this.fromDb(t));
    this.instanceReads = new InstanceReadBatcher(pool, (body) => this.read(body));
    this.createBatches = new CreateBatcher(pool, (body) => this.statement(body));
    this.notifier = new PgNotifier(location);
    this.completions = new CompletionBatcher((body) => this.write(body), this.turns, () => this.notifier.work('instances'));
  }

  /** Notifications sent and received, and LISTEN reconnects, since open. */
  get notificationCounts(): { sent: number; received: number; reconnects: number } {
    return { ...this.notifier.counts };
  }

  /** Starts the LISTEN connection (reconnecting on its own after a failure). */
  async startListening(): Promise<void> {
    await this.notifier.start();
  }

  /**
   * Subscribes to changes committed by any node on this schema (new work, an instance changed):
   * the engine's wake-up source across nodes. Lost notifications only delay (polling remains).
   */
  onChange(listener: (change: StoreChange) => void): () => void {
    return this.notifier.subscribe(listener);
  }

  // ── writes ──────────────────────────────────────────────────────────────────────────────────

  async createInstance(request: CreateInstanceRequest): Promise<CreatedInstance> {
    if (request.firstTurn !== undefined) return this.createWithTurn(request, request.firstTurn);
    const claim = request.claim;
    const result = await this.order.run([request.instanceId], async (): Promise<{ created: boolean; claimed?: OrchestrationWorkItem }> => {
      // A new id (nearly every create): one statement — claimed in it when asked (feature
      // turnShortcuts) and the start is visible at the claim's now. An existing id: the reuse
      // policy, in a transaction (then, rarely, the claim in a statement of its own).
      if (claim !== undefined && this.toDb(request.startMessage.visibleAt) <= this.toDb(claim.now)) {
        const claimed = await this.statement(() => this.turns.createNewClaimed(this.pool, request, claim, (t) => this.fromDb(t)));
        if (claimed !== undefined) return { created: true, claimed };
      } else if (await this.createBatches.create(this.turns.createNewParams(request))) return { created: true };
      const created = await this.write(async (tx) => this.turns.createInstance(tx, request, (await this.turns.lock(tx, [request.instanceId])).get(request.instanceId)));
      if (!created.created || claim === undefined) return created;
      const [claimed] = await this.claimOrchestrations({ ...claim, limit: 1, instanceIds: [request.instanceId], names: [request.name] });
      return claimed === undefined ? created : { created: true, claimed };
    });
    // A start claimed here needs no other node's attention.
    if (result.created && result.claimed === undefined) this.notifier.work('instances');
    return result;
  }

  /**
   * createInstance with its first turn (feature `fusedStart`): in one transaction the reuse
   * policy and the row (locked by the turn's lease, no start message), then the turn as
   * commitTurn's transaction body writes it, which unlocks the row.
   */
  private async createWithTurn(request: CreateInstanceRequest, turn: TurnCommit): Promise<CreatedInstance> {
    checkFirstTurn(request, turn);
    const id = request.instanceId;
    const result = await this.order.run([id], () =>
      this.write(async (tx): Promise<CreatedInstance> => {
        const created = await this.turns.createInstance(tx, request, (await this.turns.lock(tx, [id])).get(id), turn.leaseId);
        if (!created.created) return created;
        const committed = await this.turns.commitTurn(tx, turn);
        return committed === undefined ? { created: true } : { created: true, committed };
      }),
    );
    if (!result.created) return result;
    this.notifier.changed(id, turn.state.status);
    const unleased = turn.tasks.length - (turn.taskLease?.tasks.length ?? 0);
    if (turn.messages.length > 0 || turn.newInstances.length > 0) this.notifier.work(unleased > 0 ? 'all' : 'instances');
    else if (unleased > 0) this.notifier.work('tasks');
    return result;
  }

  async enqueueMessages(messages: NewMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.order.run(
      messages.map((m) => m.instanceId),
      () => this.write((tx) => this.turns.enqueue(tx, messages)),
    );
    this.notifier.work('instances');
  }

  async claimOrchestrations(request: ClaimOrchestrationsRequest): Promise<OrchestrationWorkItem[]> {
    const now = this.toDb(request.now);
    const names = request.names === undefined ? null : [...new Set(request.names)];
    if (request.instanceIds?.length === 1 && request.limit >= 1) {
      if (this.closed) throw closedError();
      return this.claimBatches.claim(request, now);
    }
    // Idle workers poll: answer "nothing" from one index probe, without a write transaction. The
    // probe stays even after another node announced work: with two nodes both hear each start,
    // and the loser's empty claim costs PostgreSQL far more than the probe (bench/README.md h-pg4).
    if (request.instanceIds === undefined) {
      const work = this.notifier.announced;
      const probe = (await this.read(() => run<{ found: boolean; t: number | null }>(this.pool, 'anyReadyInstance', [now, names]))).rows[0];
      if (!probe.found) {
        this.probedWake = { now: request.now, at: probe.t, work };
        return [];
      }
    }
    return this.statement(() => claimOrchestrations(this.pool, request, this.dbClaim(now, request.leaseMs), (t) => this.fromDb(t)));
  }

  /** A claim at database time `now`: its lock expiry, and the sticky window when on. */
  private dbClaim(now: number, leaseMs: number): DbClaim {
    const at: DbClaim = { now, lockUntil: now + leaseMs };
    if (this.stickyClaimsMs > 0) at.sticky = { node: this.nodeId, since: now - this.stickyClaimsMs };
    return at;
  }

  async commitTurn(turn: TurnCommit): Promise<CommittedTurn | void> {
    let committed: CommittedTurn | undefined;
    if (oneStatementTurn(turn)) {
      if (this.closed) throw closedError();
      committed = await this.turnBatches.commit(turn);
    } else committed = await this.write((tx) => this.turns.commitTurn(tx, turn));
    this.notifier.changed(turn.instanceId, turn.state.status);
    // Tasks leased to this node's worker need no wake-up of other nodes.
    const unleased = turn.tasks.length - (turn.taskLease?.tasks.length ?? 0);
    if (turn.messages.length > 0 || turn.newInstances.length > 0) this.notifier.work(unleased > 0 ? 'all' : 'instances');
    else if (unleased > 0) this.notifier.work('tasks');
    return committed;
  }

  async abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void> {
    await this.write(async (tx) => {
      const window = (await run<{ claim_last_id: number | null; claim_now: number | null }>(tx, 'claimWindow', [instanceId, leaseId])).rows[0];
      if (window === undefined) throw leaseLost('instance', instanceId, leaseId);
      // The claim's window is re-selected from what the row recorded (see migration 3).
      if (visibleAt !== undefined && window.claim_last_id !== null) {
        await run(tx, 'delayWindow', [instanceId, this.toDb(visibleAt), window.claim_last_id, window.claim_now]);
      }
      await run(tx, 'unlockInstance', [instanceId, leaseId]);
    });
    this.notifier.work('instances');
  }

  async renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void> {
    await this.write(async (tx) => {
      if ((await run(tx, 'renewInstance', [instanceId, leaseId, this.toDb(now) + leaseMs])).rowCount === 0) throw leaseLost('instance', instanceId, leaseId);
    });
  }

  async releaseLeases(leasePrefix: string): Promise<{ instances: number; tasks: number }> {
    const released = await this.write(async (tx) => ({
      instances: (await run(tx, 'releaseInstances', [leasePrefix])).rowCount ?? 0,
      tasks: (await run(tx, 'releaseTasks', [leasePrefix])).rowCount ?? 0,
    }));
    if (released.instances + released.tasks > 0) this.notifier.work(released.tasks === 0 ? 'instances' : released.instances === 0 ? 'tasks' : 'all');
    return released;
  }

  async claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]> {
    const now = this.toDb(request.now);
    // One statement, no probe first: with nothing ready it reads an index range and changes nothing.
    return this.statement(() => claimActivities(this.pool, request, this.dbClaim(now, request.leaseMs), (t) => this.fromDb(t)));
  }

  completeActivity(request: CompleteActivityRequest): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.completions.complete(request);
  }

  async abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void> {
    await this.write(async (tx) => {
      if ((await run(tx, 'unlockTask', [taskRowId, leaseId, visibleAt === undefined ? null : this.toDb(visibleAt)])).rowCount === 0) {
        throw leaseLost('activity task', String(taskRowId), leaseId);
      }
    });
    this.notifier.work('tasks');
  }

  async renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void> {
    await this.write(async (tx) => {
      if ((await run(tx, 'renewTask', [taskRowId, leaseId, this.toDb(now) + leaseMs])).rowCount === 0) throw leaseLost('activity task', String(taskRowId), leaseId);
    });
  }

  async purgeInstances(instanceIds: string[]): Promise<string[]> {
    return this.write(async (tx) => {
      // Locked first (sorted): an enqueue that waits on a row purged here finds no row afterwards.
      const rows = await this.turns.lock(tx, instanceIds);
      const deleted: string[] = [];
      for (const id of new Set(instanceIds)) {
        const row = rows.get(id);
        if (row === undefined || !isTerminalStatus(row.status)) continue;
        await this.turns.deleteInstance(tx, id);
        deleted.push(id);
      }
      return deleted;
    });
  }

  async putDefinition(definition: DefinitionRecord): Promise<void> {
    await this.write((tx) => putDefinition(tx, definition));
  }

  deleteUnusedDefinitions(hashes: string[], registeredBefore?: number): Promise<string[]> {
    return this.write((tx) => deleteUnusedDefinitions(tx, hashes, registeredBefore));
  }

  // ── reads ───────────────────────────────────────────────────────────────────────────────────

  getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    if (this.closed) return Promise.reject(closedError());
    return this.instanceReads.get(instanceId);
  }

  async loadHistory(instanceId: string, fromSeq = 0): Promise<HistoryRecord[]> {
    return (await this.read(() => run<HistoryRow>(this.pool, 'loadHistory', [instanceId, fromSeq]))).rows.map(toHistoryRecord);
  }

  queryInstances(query: InstanceQuery): Promise<InstancePage> {
    return this.read(() => queryInstances(this.pool, query));
  }

  countInstances(query: InstanceCountQuery = {}): Promise<InstanceCount[]> {
    return this.read(() => countInstances(this.pool, query));
  }

  async nextWakeAt(now: number): Promise<number | undefined> {
    const probed = this.probedWake;
    this.probedWake = undefined;
    const t =
      probed !== undefined && probed.now === now && probed.work === this.notifier.announced
        ? probed.at
        : (await this.read(() => run<{ t: number | null }>(this.pool, 'nextWake', [this.toDb(now)]))).rows[0].t;
    return t === null ? undefined : this.fromDb(t);
  }

  pendingWork(instanceId: string, now: number): Promise<PendingWork> {
    return this.read(() => pendingWork(this.pool, instanceId, this.toDb(now), (t) => this.fromDb(t)));
  }

  queuedWork(now: number): Promise<QueuedWorkCount[]> {
    return this.read(() => queuedWork(this.pool, this.toDb(now), (t) => this.fromDb(t)));
  }

  getDefinition(hash: string): Promise<DefinitionRecord | undefined> {
    return this.read(() => getDefinition(this.pool, hash));
  }

  listDefinitions(id?: string): Promise<DefinitionRecord[]> {
    return this.read(() => listDefinitions(this.pool, id));
  }

  // ── host state shared by the nodes (SharedHostState, specs/multi-node.md) ──────────────────────
  // Event claim times go through the database clock's frame (like leases): a node whose clock is
  // ahead must not find a live claim of another node stale.

  async claimEvent(request: EventClaimRequest): Promise<EventClaim> {
    const claimed = await this.statement(() => run(this.pool, 'claimEvent', [request.source, request.id, this.toDb(request.now), this.toDb(request.staleBefore)]));
    if ((claimed.rowCount ?? 0) > 0) return { claimed: true };
    const row = (await this.read(() => run<{ claimed_at: number; outcome: string | null }>(this.pool, 'readEvent', [request.source, request.id]))).rows[0];
    // Pruned between the two statements (past the retention window): a first arrival again.
    if (row === undefined) return this.claimEvent(request);
    const claimedAt = this.fromDb(row.claimed_at);
    return row.outcome === null ? { claimed: false, claimedAt } : { claimed: false, claimedAt, outcome: row.outcome };
  }

  async finishEvent(source: string, id: string, outcome: string | undefined): Promise<void> {
    await this.statement(() => (outcome === undefined ? run(this.pool, 'forgetEvent', [source, id]) : run(this.pool, 'finishEvent', [source, id, outcome])));
  }

  async pruneEvents(before: number): Promise<number> {
    return (await this.statement(() => run(this.pool, 'pruneEvents', [this.toDb(before)]))).rowCount ?? 0;
  }

  async recordScheduleTick(scheduleId: string, dueAt: number, now: number): Promise<boolean> {
    return ((await this.statement(() => run(this.pool, 'recordScheduleTick', [scheduleId, dueAt, now]))).rowCount ?? 0) > 0;
  }

  async lastScheduleTick(scheduleId: string): Promise<number | undefined> {
    return (await this.read(() => run<{ due: number | null }>(this.pool, 'lastScheduleTick', [scheduleId]))).rows[0].due ?? undefined;
  }

  async pruneScheduleTicks(before: number): Promise<number> {
    return (await this.statement(() => run(this.pool, 'pruneScheduleTicks', [before]))).rowCount ?? 0;
  }

  async definitionsStamp(): Promise<string> {
    return String((await this.read(() => run<{ value: number }>(this.pool, 'definitionsStamp', []))).rows[0].value);
  }

  async findWaitingInstances(key: string, limit = 1000): Promise<string[]> {
    return (await this.read(() => run<{ instance_id: string }>(this.pool, 'findWaitKey', [key, limit]))).rows.map((r) => r.instance_id);
  }

  /** PostgreSQL has no fatal fault of its own here: a failed write is retried by the engine, and the pool reconnects. */
  onFatal(listener: (error: Error) => void): () => void {
    void listener;
    return () => undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    // A node that stops hands its queued work over at once (sticky claims): the next node need not
    // wait out the window. Best effort — a node that dies instead is waited for, then taken over.
    if (this.stickyClaimsMs > 0) {
      await run(this.pool, 'releaseNodeInstances', [this.nodeId])
        .then(() => run(this.pool, 'releaseNodeTasks', [this.nodeId]))
        .catch(() => undefined);
    }
    await this.pool.end();
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** A caller-clock scheduling time in the database clock's frame. */
  private toDb(t: number): number {
    return t - this.offsetMs;
  }

  private fromDb(t: number): number {
    return t + this.offsetMs;
  }

  private write<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return transaction(this.pool, this.stats, body);
  }

  /** One data-changing statement on its own (a claim): one round trip. */
  private statement<T>(body: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return autocommit(this.stats, body);
  }

  private read<T>(body: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return read(body);
  }
}

function closedError(): InfrastructureError {
  return new InfrastructureError(StoreFaultCode.STORE_CLOSED, 'the PostgreSQL store is closed');
}
