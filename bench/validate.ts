/**
 * How long plan validation takes as plans grow: loadPlan (YAML, schema, graph, cross-field
 * checks and lint) on generated plans of 10, 100 and 1,000 stages.
 *
 *   npx tsx bench/validate.ts
 *
 * The target is 100 ms for 1,000 stages. The ratio t(1000) / (100 × t(10)) shows how the
 * time grows against linear growth (1.0); fixed costs per plan push it below 1. Two more rows
 * show the 1,000-stage plan with a lint warning on every shadow stage (each located in the
 * source), and with an anchor, which the fast reader leaves to the yaml package.
 */
import { loadPlan } from '../definitions/load';
import { generatePlan, type GenerateOptions } from './validate-plan';

const SIZES = [10, 100, 1000] as const;
const TARGET_MS = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function measure(source: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    loadPlan(source);
    times.push(performance.now() - start);
  }
  return median(times);
}

function row(label: string, stages: number, options: GenerateOptions = {}): number {
  const source = generatePlan(stages, options);
  const result = loadPlan(source);
  if (!result.ok) throw new Error(`the generated plan is invalid: ${result.errors[0]?.message}`);
  measure(source, 5); // warm-up: let the JIT settle
  const ms = measure(source, stages >= 1000 ? 15 : 40);
  const cells = [label.padEnd(24), String(stages).padStart(6), String(Buffer.byteLength(source)).padStart(9), String(result.warnings.length).padStart(9)];
  console.log(`${cells.join(' ')} ${ms.toFixed(2).padStart(10)} ${((ms * 1000) / stages).toFixed(1).padStart(9)}`);
  return ms;
}

function main(): void {
  console.log(`${'plan'.padEnd(24)} stages     bytes  warnings  median ms  µs/stage`);
  const results = new Map<number, number>();
  for (const stages of SIZES) results.set(stages, row('generated', stages));
  row('… a warning per shadow', 1000, { warnings: true });
  row('… with an anchor (yaml)', 1000, { anchor: true });
  const small = results.get(10)!;
  const large = results.get(1000)!;
  console.log(`\nt(1000) / (100 × t(10)) = ${(large / (100 * small)).toFixed(2)}  (1.0 is linear growth; below 1, fixed costs dominate small plans)`);
  console.log(`1,000 stages: ${large.toFixed(1)} ms, target ≤ ${TARGET_MS} ms: ${large <= TARGET_MS ? 'met' : 'MISSED'}`);
}

main();
