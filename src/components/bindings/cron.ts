/**
 * @module components/bindings/cron
 * `bindings.cron` (Dapr's input-only binding): metadata **`schedule`** — Dapr's syntax, which is
 * robfig/cron's: 5 fields (minute first), 6 fields (seconds first: `*\/5 * * * * *`), the
 * descriptors `@yearly` `@monthly` `@weekly` `@daily` `@hourly`, or `@every <duration>` (`@every 15s`,
 * `@every 1m30s`) — and `route` (the event type, default the component name). Times are UTC.
 * Each tick delivers one CloudEvent whose `id` is the tick's time, so every node on a shared store
 * (and a redelivery after a crash) names the same tick the same way and the store's
 * de-duplication starts one instance per tick. `@every d` ticks at multiples of d since the epoch
 * (not d after start) for the same reason. A tick whose handler is still running when the next
 * one comes is not doubled: the next tick is the first one after it finished. A tick missed while
 * the process was down is not caught up (Dapr's behaviour).
 */
import { createRequire } from 'node:module';
import type { Cron } from 'croner';
import { parseGoDuration, type ComponentMetadata } from '../metadata.js';
import type { CloudEventJson, InputBinding, Subscription } from '../types.js';
import { bindingDirection, bindingEventSource, bindingEventType } from './input-event.js';

/** The next tick strictly after `afterMs`, or undefined when the schedule has none. */
type NextTick = (afterMs: number) => number | undefined;

/** Shortest `@every` interval: one tick per second at most, like the seconds field. */
const MIN_EVERY_MS = 1000;
/** A failed tick delivery is retried this often until the next tick comes. */
const RETRY_MS = 1000;

/** Parses the schedule (a COMPONENT_BAD_METADATA error naming `schedule` when it is not valid). */
function parseSchedule(md: ComponentMetadata): NextTick {
  const raw = md.required('schedule').trim();
  const every = /^@every\s+(\S+)$/.exec(raw);
  if (every) {
    const ms = parseGoDuration(every[1]);
    if (ms === undefined || ms < MIN_EVERY_MS) throw md.error('schedule', `'@every' needs a duration of at least 1s such as '15s' or '1m30s', found '${every[1]}'`);
    return (after) => (Math.floor(after / ms) + 1) * ms;
  }
  const fields = raw.split(/\s+/).length;
  if (!raw.startsWith('@') && fields !== 5 && fields !== 6) {
    throw md.error('schedule', `cron '${raw}' has ${fields} fields; expected 5 (minute first), 6 (seconds first), '@hourly'-style descriptors or '@every <duration>'`);
  }
  let cron: Cron;
  try {
    // The CommonJS build, the copy definition/cron.ts requires too (one copy of croner per process).
    const { Cron } = createRequire(import.meta.url)('croner') as typeof import('croner');
    cron = new Cron(raw, { paused: true, timezone: 'UTC', domAndDow: false });
  } catch (err) {
    throw md.error('schedule', `cron '${raw}' is not valid: ${String((err as Error).message).replace(/^CronPattern: /, '')}`);
  }
  return (after) => cron.nextRun(new Date(after))?.getTime();
}

/** Builds the cron input binding (it starts ticking when read). */
export function createCronBinding(md: ComponentMetadata): InputBinding {
  const direction = bindingDirection(md, { input: true, output: false });
  if (!direction.input || direction.output) throw md.error('direction', `bindings.cron is an input binding: direction must be 'input'`);
  const next = parseSchedule(md);
  if (next(Date.now()) === undefined) throw md.error('schedule', `schedule '${md.string('schedule')}' never matches a future time`);
  const name = md.manifest.name;
  const type = bindingEventType(md);
  const tickers = new Set<Ticker>();
  return {
    async read(handler) {
      const t = new Ticker(name, type, next, handler);
      tickers.add(t);
      t.arm();
      return {
        close: async () => {
          tickers.delete(t);
          await t.stop();
        },
      } satisfies Subscription;
    },
    async close() {
      await Promise.allSettled([...tickers].map((t) => t.stop()));
    },
  };
}

/** One running schedule. */
class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly component: string,
    private readonly type: string,
    private readonly next: NextTick,
    private readonly handler: (event: CloudEventJson) => Promise<void>,
  ) {}

  /** Sets the timer for the next tick after now. */
  arm(): void {
    if (this.stopped) return;
    const at = this.next(Date.now());
    if (at === undefined) return;
    // setTimeout holds at most ~24.8 days: a far tick re-arms on the way.
    const wait = Math.min(at - Date.now(), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      if (Date.now() < at) return this.arm();
      this.running = this.fire(at).finally(() => {
        this.running = undefined;
        this.arm();
      });
    }, Math.max(wait, 0));
    this.timer.unref();
  }

  /** Delivers the tick, retrying a failed delivery until the next tick is due. */
  private async fire(at: number): Promise<void> {
    const time = new Date(at).toISOString();
    const event: CloudEventJson = { specversion: '1.0', id: `${this.component}@${time}`, source: bindingEventSource(this.component), type: this.type, time };
    const giveUpAt = this.next(at) ?? at + RETRY_MS;
    for (;;) {
      try {
        await this.handler(event);
        return;
      } catch {
        if (this.stopped || Date.now() + RETRY_MS >= giveUpAt) return;
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
