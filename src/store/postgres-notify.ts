/**
 * @module store/postgres-notify
 * Wake-ups across nodes with LISTEN/NOTIFY. After its commits a store sends (coalesced: at most
 * one NOTIFY per event-loop turn) "new work" and "these instances changed"; every other store on
 * the schema hears it on its own LISTEN connection, which reconnects by itself after a failure (a
 * PostgreSQL restart). A notification can be lost (sent after COMMIT by a process that then
 * dies, or during a reconnect): listeners must keep polling as the safety net; after a reconnect
 * a "work" change is emitted because something may have been missed.
 */

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { applicationName, type PostgresLocation } from './postgres-schema.js';
import type { RuntimeStatus, StoreChange, WorkKind } from './types.js';

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7000;

/** Reconnect delays of the LISTEN connection, ms (the last repeats). */
const RECONNECT_MS = [100, 250, 500, 1000, 2000, 5000];

/** The payload on the wire. */
interface Wire {
  /** Sending node (a store hears its own notifications too, and skips them). */
  n: string;
  /** New work. */
  w?: 1;
  /**
   * Whose work `w` is: 'i' instances, 't' activity tasks; absent: either. A separate field, so that
   * a node of an earlier version reads `w` as before and wakes both of its workers.
   */
  k?: 'i' | 't';
  /** Changed instances [id, status]. */
  c?: Array<[string, RuntimeStatus]>;
}

/** Sends and receives the schema's notifications. */
export class PgNotifier {
  private readonly node = randomUUID();
  private readonly channel: string;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | undefined;
  /** Connection used to send (not the LISTEN one, so that a send never waits behind a reconnect). */
  private sender: pg.Client | undefined;
  /** Announced work not sent yet: none, of instances, of tasks, or both. */
  private pendingWork = { instances: false, tasks: false };
  private pendingChanges = new Map<string, RuntimeStatus>();
  private flushScheduled = false;
  /** The running flush (flushes are serialized on the one sender connection). */
  private flushing: Promise<void> = Promise.resolve();
  private attempts = 0;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /**
   * work() and changed() calls so far (every commit of this store announces one of them): what
   * the store read about claimable times before still holds while this is unchanged.
   */
  announced = 0;
  /** Notifications sent and received (for tests and benchmarks). */
  readonly counts = { sent: 0, received: 0, reconnects: 0 };

  constructor(private readonly location: PostgresLocation) {
    this.channel = `swirl_${location.schema.toLowerCase()}`;
  }

  /** Opens the LISTEN connection. */
  async start(): Promise<void> {
    await this.connect();
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces new work of instances, of activity tasks, or of both (after a commit). */
  work(what: WorkKind | 'all'): void {
    this.announced++;
    if (what !== 'tasks') this.pendingWork.instances = true;
    if (what !== 'instances') this.pendingWork.tasks = true;
    this.schedule();
  }

  /** Announces that an instance changed (after a commit). */
  changed(instanceId: string, status: RuntimeStatus): void {
    this.announced++;
    this.pendingChanges.set(instanceId, status);
    this.schedule();
  }

  async close(): Promise<void> {
    // What was committed before close is still announced; nothing after it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.flushing;
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const clients = [this.client, this.sender];
    this.client = this.sender = undefined;
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
  }

  // ── receiving ──

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.location.connectionString, application_name: applicationName(this.location) });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined) this.receive(message.payload);
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempts = 0;
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const delay = RECONNECT_MS[Math.min(this.attempts++, RECONNECT_MS.length - 1)];
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().then(
        () => {
          this.counts.reconnects++;
          // Whatever was sent while we were deaf is unknown: wake everyone up once.
          this.emit({ kind: 'work' });
        },
        () => this.reconnect(),
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  private receive(payload: string): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return; // not ours
    }
    if (wire.n === this.node) return;
    this.counts.received++;
    if (wire.w === 1) this.emit(wire.k === 'i' ? { kind: 'work', what: 'instances' } : wire.k === 't' ? { kind: 'work', what: 'tasks' } : { kind: 'work' });
    for (const [instanceId, status] of wire.c ?? []) this.emit({ kind: 'instance', instanceId, status });
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // One failing listener must not keep the others from hearing.
      }
    }
  }

  // ── sending ──

  private schedule(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushing = this.flushing.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const payloads = this.drain();
    if (payloads.length === 0 || this.closed) return;
    try {
      const sender = await this.senderClient();
      for (const p of payloads) {
        await sender.query('SELECT pg_notify($1, $2)', [this.channel, p]);
        this.counts.sent++;
      }
    } catch {
      // A lost notification only delays the others (they poll); the sender reconnects next time.
      this.sender?.end().catch(() => undefined);
      this.sender = undefined;
    }
  }

  /** The pending announcements as payloads of at most MAX_PAYLOAD bytes. */
  private drain(): string[] {
    const out: string[] = [];
    let current: Wire = { n: this.node };
    const { instances, tasks } = this.pendingWork;
    if (instances || tasks) current.w = 1;
    if (instances !== tasks) current.k = instances ? 'i' : 't';
    let size = JSON.stringify(current).length;
    for (const [id, status] of this.pendingChanges) {
      const entry: [string, RuntimeStatus] = [id, status];
      const add = JSON.stringify(entry).length + 1;
      if (size + add > MAX_PAYLOAD && current.c !== undefined) {
        out.push(JSON.stringify(current));
        current = { n: this.node };
        size = JSON.stringify(current).length;
      }
      (current.c ??= []).push(entry);
      size += add;
    }
    if (current.w === 1 || current.c !== undefined) out.push(JSON.stringify(current));
    this.pendingWork = { instances: false, tasks: false };
    this.pendingChanges = new Map();
    return out;
  }

  private async senderClient(): Promise<pg.Client> {
    if (this.sender !== undefined) return this.sender;
    const sender = new pg.Client({ connectionString: this.location.connectionString, application_name: applicationName(this.location) });
    sender.on('error', () => {
      if (this.sender === sender) this.sender = undefined;
    });
    await sender.connect();
    this.sender = sender;
    return sender;
  }
}
