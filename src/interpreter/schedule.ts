/**
 * @module interpreter/schedule
 * When a scheduled workflow (`start.schedule`, spec §Schedule Definition) is due: the next start
 * times after a given time, for the host (issue 6) to start instances. Interval forms
 * `R/<start>/<duration>`, `R/<duration>/<end>`, `R/<duration>`; cron with 5 fields (minute) or 6
 * (Quartz: seconds first, `?` allowed), evaluated in UTC; `validUntil` ends a cron schedule.
 */
import { parseDuration } from '../definition/duration.js';
import type { WorkflowGraph } from '../graph/types.js';
import { DefinitionError } from '../errors.js';

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

function field(text: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-').map(Number);
      lo = a;
      hi = b ?? (stepText ? max : a);
    }
    if (![lo, hi, step].every(Number.isInteger) || step < 1) throw new DefinitionError('INVALID_SCHEDULE', `bad cron field '${text}'`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function cronTimes(expr: string, afterMs: number, count: number, untilMs: number | undefined): number[] {
  const f = expr.trim().split(/\s+/);
  // Quartz allows a 7th field (year): years are not restricted here.
  if (f.length === 7) f.pop();
  if (f.length !== 5 && f.length !== 6) throw new DefinitionError('INVALID_SCHEDULE', `cron '${expr}' must have 5, 6 or 7 fields`);
  const withSeconds = f.length === 6;
  const [sec, min, hour, dom, mon, dow] = withSeconds ? f : ['0', ...f];
  const S = field(sec, 0, 59);
  const M = field(min, 0, 59);
  const H = field(hour, 0, 23);
  const D = field(dom, 1, 31);
  const Mo = field(mon, 1, 12);
  const W = field(dow.replace(/7/g, '0'), 0, 6);
  const domAny = dom === '*' || dom === '?';
  const dowAny = dow === '*' || dow === '?';
  const out: number[] = [];
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  // Minute steps are enough for 5-field crons; Quartz crons step by seconds within matching minutes.
  const limit = afterMs + 366 * 24 * 3600 * 1000 * 5;
  while (out.length < count && t < limit) {
    if (untilMs !== undefined && t > untilMs) break;
    const d = new Date(t);
    const dayOk = domAny && dowAny ? true : domAny ? W.has(d.getUTCDay()) : dowAny ? D.has(d.getUTCDate()) : D.has(d.getUTCDate()) || W.has(d.getUTCDay());
    if (!Mo.has(d.getUTCMonth() + 1) || !dayOk) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!H.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!M.has(d.getUTCMinutes())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes() + 1);
      continue;
    }
    if (S.has(d.getUTCSeconds())) out.push(t);
    t += 1000;
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
  if (s.cron) return cronTimes(s.cron, afterMs, count, s.validUntil ? parseTime(s.validUntil) : undefined);
  if (s.interval) return intervalTimes(s.interval, afterMs, count);
  return [];
}
