/**
 * @module definition/duration
 * ISO-8601 durations (spec §Workflow Timeouts, sleep, retries) parsed once to milliseconds.
 * Calendar units have no fixed length; Swirl counts a year as 365 days and a month as 30 days
 * (specs/semantics.md). Only the smallest unit given may carry a fraction, as ISO-8601 says.
 */

const DURATION = /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const UNIT_MS = [
  365 * 86_400_000, // Y
  30 * 86_400_000, // M
  7 * 86_400_000, // W
  86_400_000, // D
  3_600_000, // H
  60_000, // M
  1_000, // S
];

/** Milliseconds of an ISO-8601 duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1);
  const given = parts.map((p, i) => (p === undefined ? -1 : i)).filter((i) => i >= 0);
  let ms = 0;
  for (const i of given) {
    const raw = parts[i]!.replace(',', '.');
    if (raw.includes('.') && i !== given[given.length - 1]) return undefined; // fraction only on the last unit
    ms += Number(raw) * UNIT_MS[i];
  }
  return Math.round(ms);
}

/** Why a text is not a duration, for diagnostics ("PT30D": days belong before the T). */
export function explainDuration(text: string): string {
  if (!text.startsWith('P')) return "an ISO-8601 duration starts with 'P', e.g. PT30S, PT5M, P1D";
  if (/T.*[DW]/.test(text)) return "days and weeks go before the 'T': e.g. P30D, P2W, P1DT12H";
  if (/T$/.test(text)) return "'T' must be followed by hours, minutes or seconds";
  return 'expected e.g. PT30S (30 seconds), PT5M, PT1H30M, P1D, P2W';
}
