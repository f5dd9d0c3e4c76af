/** percentile of values (sorted here), nearest rank; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** median of values. */
export const median = (values: readonly number[]): number => percentile(values, 0.5);

/**
 * interleavedOrder is the order of `rounds` rounds of systems A and B taken in turns, A B B A A B …,
 * so that a machine whose load drifts during the run weighs on both alike.
 */
export function interleavedOrder<T>(a: T, b: T, rounds: number): T[] {
  const order: T[] = [];
  for (let round = 0; round < rounds; round += 1) order.push(...(round % 2 === 0 ? [a, b] : [b, a]));
  return order;
}

/** inPool runs task over items with at most `concurrency` at a time, and returns the results in item order. */
export async function inPool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** ms formats milliseconds for a table. */
export const ms = (value: number): string => (Number.isFinite(value) ? (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`) : 'n/a');

/** ratio formats a / b. */
export const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

/** row lays out one line of a table: a wide first column, then right-aligned cells. */
export function row(...cells: Array<string | number>): string {
  const [name, ...rest] = cells.map(String);
  return `${name!.padEnd(46)}${rest.map((cell) => ` ${cell.padStart(13)}`).join('')}`;
}
