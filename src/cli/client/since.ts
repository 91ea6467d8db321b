/**
 * @module cli/client/since
 * `--since` and `--before` values: a moment as an RFC 3339 date-time, or an age back from now as
 * `90s`, `15m`, `2h`, `7d` (kubectl's and docker's form) or an ISO-8601 duration (`PT2H`, `P7D`,
 * the form workflows use).
 */
import { parseDuration } from '../../index.js';
import { ExitCode } from '../exit.js';
import { ClientError } from './client-error.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The moment `value` names, as an ISO string for the API; `flag` names it in errors. */
export function parseMoment(value: string, flag: string, now: number = Date.now()): string {
  const short = /^(\d+)([smhd])$/.exec(value);
  if (short) return new Date(now - Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS]).toISOString();
  if (/^P/i.test(value)) {
    const ms = parseDuration(value.toUpperCase());
    if (ms !== undefined) return new Date(now - ms).toISOString();
  }
  // A date-time, not a bare number or a word Date.parse would take.
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  throw new ClientError(`${flag} must be an age such as 30m, 2h, 7d or PT2H, or a date-time such as 2026-01-31T12:00:00Z, not '${value}'`, ExitCode.Usage);
}
