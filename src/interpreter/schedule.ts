/**
 * @module interpreter/schedule
 * When a scheduled workflow (`start.schedule`, spec §Schedule Definition) is due: the next start
 * times after a given time, for the host (issue 6) to start instances. Interval forms
 * `R/<start>/<duration>`, `R/<duration>/<end>`, `R/<duration>`; cron as definition/cron.ts reads it
 * (crontab or Quartz, UTC unless `timezone`); `validUntil` ends a cron schedule.
 */
import { CronSyntaxError, parseCron } from '../definition/cron.js';
import { parseDuration } from '../definition/duration.js';
import type { WorkflowGraph } from '../graph/types.js';
import { DefinitionError } from '../errors.js';

/** Cron run times, parsed by the validator's own cron module (definition/cron.ts). */
function cronTimes(expr: string, timezone: string | undefined, afterMs: number, count: number, untilMs: number | undefined): number[] {
  try {
    return parseCron(expr, timezone).next(afterMs, count, untilMs);
  } catch (err) {
    if (err instanceof CronSyntaxError) throw new DefinitionError('INVALID_SCHEDULE', `cron '${expr}' ${err.message}`);
    throw err;
  }
}

function parseTime(text: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new DefinitionError('INVALID_SCHEDULE', `'${text}' is not an ISO-8601 date-time`);
  return t;
}

function intervalTimes(spec: string, afterMs: number, count: number): number[] {
  const parts = spec.split('/');
  if (parts[0] !== 'R') throw new DefinitionError('INVALID_SCHEDULE', `schedule '${spec}' must be a repeating interval R/…`);
  let start: number | undefined;
  let end: number | undefined;
  let period: number | undefined;
  for (const p of parts.slice(1)) {
    if (p.startsWith('P')) period = parseDuration(p);
    else if (period === undefined) start = parseTime(p);
    else end = parseTime(p);
  }
  if (!period || period <= 0) throw new DefinitionError('INVALID_SCHEDULE', `schedule '${spec}' has no positive duration`);
  // `R/<duration>` (and `R/<duration>/<end>`): the first interval starts at the epoch grid.
  const origin = start ?? 0;
  const out: number[] = [];
  let k = afterMs < origin ? 0 : Math.floor((afterMs - origin) / period) + 1;
  while (out.length < count) {
    const t = origin + k * period;
    if (end !== undefined && t > end) break;
    out.push(t);
    k += 1;
  }
  return out;
}

/**
 * The next `count` due times (ms since the epoch, UTC) strictly after `afterMs`, or [] when the
 * workflow has no schedule (or it has ended). Throws DefinitionError for a malformed schedule.
 */
export function nextScheduleTimes(graph: WorkflowGraph, afterMs: number, count = 1): number[] {
  const s = graph.schedule;
  if (!s) return [];
  if (s.cron) return cronTimes(s.cron, s.timezone, afterMs, count, s.validUntil ? parseTime(s.validUntil) : undefined);
  if (s.interval) return intervalTimes(s.interval, afterMs, count);
  return [];
}
