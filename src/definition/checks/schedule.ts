/**
 * @module definition/checks/schedule
 * Start schedules (spec §Schedule Definition): an ISO-8601 repeating interval without a count
 * (`R/<start>/<duration>`, `R/<duration>/<end>`, `R/<duration>`) or a cron expression, read by
 * definition/cron.ts exactly as the scheduler reads it; a cron that never matches is an error too.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { cronProblem } from '../cron.js';
import { parseDuration } from '../duration.js';
import { isObject } from '../walk.js';
import type { CheckContext } from './context.js';

/** Why a repeating interval is invalid, or undefined when it is fine. */
export function intervalProblem(text: string): string | undefined {
  const parts = text.split('/');
  if (parts[0] !== 'R') return parts[0].startsWith('R') ? 'repeat counts (R5/…) are not allowed; use R/…' : "must start with 'R/'";
  const rest = parts.slice(1);
  const isDate = (s: string) => !Number.isNaN(Date.parse(s));
  const isDur = (s: string) => parseDuration(s) !== undefined;
  if (rest.length === 1 && isDur(rest[0])) return undefined;
  if (rest.length === 2 && ((isDate(rest[0]) && isDur(rest[1])) || (isDur(rest[0]) && isDate(rest[1])))) return undefined;
  return "expected 'R/<duration>', 'R/<start>/<duration>' or 'R/<duration>/<end>', e.g. R/PT2H";
}

export function checkSchedule(ctx: CheckContext): void {
  const start = ctx.doc.start;
  if (!isObject(start)) return;
  const schedule = start.schedule;
  const report = (pointer: string, what: string, problem: string) =>
    ctx.r.error(DiagnosticCode.InvalidSchedule, pointer, `start schedule: ${what} ${problem}`);
  if (typeof schedule === 'string') {
    const p = intervalProblem(schedule);
    if (p) report('/start/schedule', `interval '${schedule}'`, p);
    return;
  }
  if (!isObject(schedule)) return;
  if (typeof schedule.interval === 'string') {
    const p = intervalProblem(schedule.interval);
    if (p) report('/start/schedule/interval', `interval '${schedule.interval}'`, p);
  }
  const cron = schedule.cron;
  const expr = typeof cron === 'string' ? cron : isObject(cron) && typeof cron.expression === 'string' ? cron.expression : undefined;
  const pointer = typeof cron === 'string' ? '/start/schedule/cron' : '/start/schedule/cron/expression';
  if (expr !== undefined) {
    const tz = typeof schedule.timezone === 'string' ? schedule.timezone : undefined;
    const p = cronProblem(expr, tz, Date.now());
    if (p) report(pointer, `cron '${expr}'`, p);
  }
  if (isObject(cron) && typeof cron.validUntil === 'string' && Number.isNaN(Date.parse(cron.validUntil))) {
    report('/start/schedule/cron/validUntil', `validUntil '${cron.validUntil}'`, 'is not an ISO-8601 date-time');
  }
}
