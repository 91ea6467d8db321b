/**
 * @module cli/unified-diff
 * A line diff in unified format (`--- a`, `+++ b`, `@@` hunks with 3 lines of context), for
 * `swirl migrate`. Longest common subsequence over lines; above ~4 million line pairs the whole
 * files are shown as one hunk instead (bounded memory and time for any input).
 */

const CONTEXT = 3;
const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function ops(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((line) => ({ kind: '-' as const, line })), ...b.map((line) => ({ kind: '+' as const, line }))];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..] (one typed row per i).
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: ' ', line: a[i++] });
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ kind: '-', line: a[i++] });
    else out.push({ kind: '+', line: b[j++] });
  }
  while (i < a.length) out.push({ kind: '-', line: a[i++] });
  while (j < b.length) out.push({ kind: '+', line: b[j++] });
  return out;
}

/** The unified diff of two texts; empty when they are equal. */
export function unifiedDiff(before: string, after: string, from: string, to: string): string {
  const split = (t: string) => (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n');
  const all = ops(split(before), split(after));
  if (all.every((o) => o.kind === ' ')) return '';
  const lines = [`--- ${from}`, `+++ ${to}`];
  let k = 0;
  while (k < all.length) {
    if (all[k].kind === ' ') {
      k++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that is
    // at most 2*CONTEXT unchanged lines from the previous one.
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    for (let m = k; m < all.length; m++) {
      if (all[m].kind !== ' ') end = m;
      else if (m - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(all.length, end + CONTEXT + 1);
    const oldStart = all.slice(0, start).filter((o) => o.kind !== '+').length + 1;
    const newStart = all.slice(0, start).filter((o) => o.kind !== '-').length + 1;
    const hunk = all.slice(start, stop);
    lines.push(`@@ -${oldStart},${hunk.filter((o) => o.kind !== '+').length} +${newStart},${hunk.filter((o) => o.kind !== '-').length} @@`);
    for (const o of hunk) lines.push(`${o.kind}${o.line}`);
    k = stop;
  }
  return `${lines.join('\n')}\n`;
}
