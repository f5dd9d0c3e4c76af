/**
 * closestMatch returns the candidate nearest to `word` by edit distance (ignoring case), or
 * undefined when none is close enough to be a plausible typo. Among equally near candidates,
 * one as long as `word` wins (`=>` suggests `>=`, not `>`), then the earlier one.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const sameLength = candidate.length === word.length;
    if (distance < bestDistance || (distance === bestDistance && sameLength && best?.length !== word.length)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * editDistance counts the single-character insertions, deletions, substitutions and swaps of
 * neighbours that turn `a` into `b` (optimal string alignment distance).
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** didYouMean words a suggestion for a message, ` (did you mean "x"?)`, or gives '' without one. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}
