import { normalQuantile } from '../../../policy/statistics/normal';
import { sequentialDifference, type SequentialDesign } from '../../../policy/statistics/sequential';
import type { SampleSummary } from '../../../policy/statistics/summary';
import { seededRandom, type Random } from '../../../simulator/random';

/**
 * Monte Carlo check of the sequential test, seeded: a stage that looks 1,000 times, each look
 * bringing PER_LOOK new samples per group. A run alarms at the first look whose interval leaves
 * out 0. Under no change the always-valid interval alarms in at most about alpha of the runs; a
 * fixed-sample z interval, asked at every look, alarms far more often.
 */
const ALPHA = 0.05;
const LOOKS = 1000;
const PER_LOOK = 3;
const RUNS = 200;
const MIN_SAMPLES = 30;
/** Three standard errors of a proportion near alpha over RUNS runs. */
const TOLERANCE = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);

class Running {
  n = 0;
  sum = 0;
  squares = 0;
  add(value: number): void {
    this.n++;
    this.sum += value;
    this.squares += value * value;
  }
  summary(): SampleSummary {
    const mean = this.sum / this.n;
    return { n: this.n, mean, variance: (this.squares - this.n * mean * mean) / (this.n - 1) };
  }
}

interface Outcome {
  sequential: boolean;
  fixed: boolean;
}

function run(random: Random, design: SequentialDesign, shift: number): Outcome {
  const treatment = new Running();
  const reference = new Running();
  if (design === 'baseline') for (let i = 0; i < LOOKS * PER_LOOK; i++) reference.add(random.normal(100, 10));
  const z = normalQuantile(1 - ALPHA / 2);
  const outcome: Outcome = { sequential: false, fixed: false };
  for (let look = 0; look < LOOKS && !(outcome.sequential && outcome.fixed); look++) {
    for (let i = 0; i < PER_LOOK; i++) {
      treatment.add(random.normal(100 + shift, 10));
      if (design === 'control') reference.add(random.normal(100, 10));
    }
    if (treatment.n < MIN_SAMPLES) continue;
    const x = treatment.summary();
    const y = reference.summary();
    const result = sequentialDifference(x, y, ALPHA, design, MIN_SAMPLES)!;
    if (result.lower > 0 || result.upper < 0) outcome.sequential = true;
    const d = x.mean! - y.mean!;
    if (Math.abs(d) > z * Math.sqrt(x.variance! / x.n + y.variance! / y.n)) outcome.fixed = true;
  }
  return outcome;
}

function rates(design: SequentialDesign, shift: number, seed: number): { sequential: number; fixed: number } {
  const random = seededRandom(seed);
  let sequential = 0;
  let fixed = 0;
  for (let i = 0; i < RUNS; i++) {
    const outcome = run(random, design, shift);
    if (outcome.sequential) sequential++;
    if (outcome.fixed) fixed++;
  }
  return { sequential: sequential / RUNS, fixed: fixed / RUNS };
}

describe(`the sequential test over ${LOOKS} looks (${RUNS} seeded runs)`, () => {
  for (const design of ['control', 'baseline'] as const) {
    it(`${design}: under no change it alarms at most alpha (+${TOLERANCE.toFixed(3)}); a fixed-sample test at every look far more`, () => {
      const { sequential, fixed } = rates(design, 0, design === 'control' ? 1 : 2);
      console.log(`${design}, no change: sequential false-alarm rate ${sequential}, fixed-sample test at every look ${fixed}`);
      expect(sequential).toBeLessThanOrEqual(ALPHA + TOLERANCE);
      expect(fixed).toBeGreaterThan(3 * ALPHA);
      expect(fixed).toBeGreaterThan(sequential + 2 * TOLERANCE);
    });
  }

  it('reports its power against a shift of 0.15 standard deviations', () => {
    const { sequential } = rates('control', 1.5, 3);
    console.log(`control, shift 0.15 sd: sequential detects in ${sequential} of the runs within ${LOOKS} looks`);
    expect(sequential).toBeGreaterThanOrEqual(0.85);
  });
});
