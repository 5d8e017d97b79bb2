/**
 * "Did you mean …?" for a mistyped command or flag: the candidates closest by edit distance
 * (adjacent swaps count as one edit), at most 3 edits away and more alike than not.
 */

/** The Damerau–Levenshtein distance (optimal string alignment) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The closest candidates to `word` (sorted), or none. */
export function closest(word: string, candidates: readonly string[]): string[] {
  let best = Infinity;
  let found: string[] = [];
  for (const c of new Set(candidates)) {
    if (c.length <= 1) continue;
    const distance = editDistance(word, c);
    const length = Math.max(word.length, c.length);
    if ((length - distance) / length <= 0.4 || distance > 3) continue;
    if (distance < best) {
      best = distance;
      found = [c];
    } else if (distance === best) found.push(c);
  }
  return found.sort((x, y) => x.localeCompare(y));
}

/** The line that follows an unknown word: `(Did you mean status?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const found = closest(word.startsWith(prefix) ? word.slice(prefix.length) : word, candidates).map((c) => `${prefix}${c}`);
  if (found.length === 0) return '';
  return found.length === 1 ? `\n(Did you mean ${found[0] as string}?)` : `\n(Did you mean one of ${found.join(', ')}?)`;
}
