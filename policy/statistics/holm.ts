/**
 * holmAdjust returns Holm–Bonferroni adjusted p-values (Holm 1979, "A simple sequentially
 * rejective multiple test procedure", Scand. J. Statist. 6:65–70), in the input's order:
 * with p sorted ascending as p(1) ≤ … ≤ p(m), the adjusted p(i) is
 * max over j ≤ i of min(1, (m − j + 1)·p(j)). Rejecting where the adjusted p-value is below
 * alpha keeps the family-wise error rate at alpha. A null p-value (no test) takes no part and
 * stays null.
 */
export function holmAdjust(pValues: ReadonlyArray<number | null>): Array<number | null> {
  const tested = pValues.flatMap((p, index) => (p === null || !Number.isFinite(p) ? [] : [{ p, index }]));
  tested.sort((a, b) => a.p - b.p || a.index - b.index);
  const m = tested.length;
  const adjusted: Array<number | null> = pValues.map(() => null);
  let running = 0;
  tested.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[index] = running;
  });
  return adjusted;
}
