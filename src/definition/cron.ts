/**
 * @module definition/cron
 * Cron expressions of start schedules (spec §Schedule Definition), parsed by one library for both
 * validation and the scheduler, so that what validates is exactly what runs. The spec links
 * crontab (5 fields) but its examples use Quartz's 6/7-field form (seconds first, `?`, year): both
 * are accepted, with names (`MON-FRI`, `JAN`), ranges, steps (also Quartz's `0/15`), `L`, `W`, `#`.
 * Days of the week count from Sunday = 0 (7 is Sunday too) in every form. Times are UTC unless the
 * schedule names an IANA `timezone`. Day-of-month and day-of-week both restricted: either matches
 * (crontab's rule).
 */
import { createRequire } from 'node:module';
import type { Cron } from 'croner';

/**
 * croner's class, required (its CommonJS build; components/bindings/cron.ts requires the same copy)
 * with the first cron expression parsed, not when Swirl starts (issue 12: start-up CPU).
 */
export function cronClass(): typeof Cron {
  return (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;
}

/** A parsed cron schedule: its next run times. */
export interface CronSchedule {
  /** The first `count` run times (ms since the epoch) strictly after `afterMs`, before `untilMs`. */
  next(afterMs: number, count: number, untilMs?: number): number[];
}

/** Thrown by {@link parseCron}; the message reads after "cron '<expr>' " ("has 9 fields; …"). */
export class CronSyntaxError extends Error {
  override readonly name = 'CronSyntaxError';
}

/** Parses a cron expression; throws CronSyntaxError when it (or the timezone) is not valid. */
export function parseCron(expr: string, timezone?: string): CronSchedule {
  const fields = expr.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 7) {
    throw new CronSyntaxError(`has ${fields.length} field${fields.length === 1 ? '' : 's'}; expected 5 (crontab) or 6–7 (Quartz: seconds first, optional year)`);
  }
  if (timezone !== undefined && !isTimeZone(timezone)) throw new CronSyntaxError(`is given timezone '${timezone}', which is not an IANA time zone (e.g. 'Europe/Paris', 'UTC')`);
  let cron: Cron;
  try {
    // paused: the object is only asked for run times, it never fires a callback itself.
    // sloppyRanges: Quartz's `0/15` (from 0, every 15), which the spec's own examples use.
    const Cron = cronClass();
    cron = new Cron(expr.trim(), { paused: true, timezone: timezone ?? 'UTC', sloppyRanges: true, domAndDow: false });
  } catch (err) {
    const reason = String((err as Error).message).replace(/^CronPattern: /, '');
    throw new CronSyntaxError(`is not valid: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
  }
  return {
    next(afterMs, count, untilMs) {
      const out: number[] = [];
      let from = new Date(afterMs);
      while (out.length < count) {
        const at = cron.nextRun(from);
        if (!at || (untilMs !== undefined && at.getTime() > untilMs)) break;
        out.push(at.getTime());
        from = at;
      }
      return out;
    },
  };
}

/**
 * Why a cron schedule cannot run, or undefined when it can: it does not parse, or it matches no
 * time from `nowMs` on (`0 0 31 2 *`, a year in the past).
 */
export function cronProblem(expr: string, timezone: string | undefined, nowMs: number): string | undefined {
  try {
    return parseCron(expr, timezone).next(nowMs, 1).length === 0 ? 'never matches a future time' : undefined;
  } catch (err) {
    if (err instanceof CronSyntaxError) return err.message;
    throw err;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
