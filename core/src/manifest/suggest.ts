// "Did you mean …?" for misspelt keys and enum values. A typo in a manifest key is the most
// common mistake a hand-written manifest has, and naming the intended key saves a trip to the
// docs.

/**
 * Optimal-string-alignment distance: Levenshtein plus swapping two adjacent characters as one
 * edit, because `imgae` for `image` is one slip of the fingers, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

// `read_only`, `Read-Only` and `readonly` are all the user reaching for `readOnly`: compare
// without case and word separators before counting edits.
const canonical = (word: string): string => word.toLowerCase().replace(/[-_\s]/g, '');

/**
 * The candidate the user most likely meant, or undefined when none is close enough. Two edits
 * at most, and fewer for short words, where two edits would turn almost anything into anything.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const wanted = canonical(word);
  if (wanted.length === 0) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(wanted, canonical(candidate));
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.min(wanted.length, best.candidate.length) <= 3 ? 1 : 2;
  return best.distance <= allowed ? best.candidate : undefined;
}
