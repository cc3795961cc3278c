/**
 * The candidate closest to `input` by edit distance, when it is close enough to be a plausible
 * typo (e.g. `container-instal`, `container.install`); undefined when nothing is.
 */
export function nearestName(input: string, candidates: readonly string[]): string | undefined {
  const allowed = Math.max(2, Math.floor(input.length / 4));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance with one rolling row: method names are short, this runs once per miss. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
