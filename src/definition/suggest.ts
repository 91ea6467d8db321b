/**
 * @module definition/suggest
 * "Did you mean …?" — the closest known name to a misspelt one, by edit distance.
 */

/** Levenshtein distance, case-insensitive (authors mix up case more than letters). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length];
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo:
 * at most a third of the name's length (at least 1, at most 4) edits away. Names shorter than three
 * characters only match by case ('b' is no typo of 'a').
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = name.length < 3 ? 0 : Math.min(4, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean 'X'?` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : `; did you mean '${c}'?`;
}
