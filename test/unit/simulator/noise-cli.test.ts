import { simulateCommand } from '../../../cli/commands/simulate';
import { wilsonInterval } from '../../../simulator/noise';
import { REPO as repo, rollgate } from '../../support/rollgate-cli';

/** `rollgate simulate --noise`: false-alarm rates of a plan's stages on data in which nothing changes. */

const gates = 'test/fixtures/noise/noise-gates.yaml';

function inProcess(...args: string[]): { code: number; stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(repo);
  try {
    const code = simulateCommand(args, { out: (line) => out.push(line), err: (line) => err.push(line) }, new Date('2026-01-05T09:30:00Z'));
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    process.chdir(cwd);
  }
}

describe('rollgate simulate --noise', () => {
  it('shows an hourly threshold gate alarming on noise while a sequential comparison stays near alpha', async () => {
    const run = await rollgate('simulate', gates, '--noise', '--runs', '20', '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const { noise } = JSON.parse(run.stdout) as { noise: { runs: number; stages: Array<{ id: string; alarms: number; rate: number; lower: number; upper: number }> } };
    expect(noise.runs).toBe(20);
    const [threshold, sequential] = noise.stages;
    expect(threshold!.id).toBe('hourly-threshold');
    // 1,008 hourly looks at one reading 2 sd inside the gate: almost every run fails somewhere.
    expect(threshold!.rate).toBeGreaterThan(0.9);
    expect(sequential!.id).toBe('sequential-compare');
    // alpha 0.05: 20 runs cannot tell 0.05 from 0, but more than 4 alarms would be far above it.
    expect(sequential!.alarms).toBeLessThanOrEqual(4);
    expect(sequential!.lower).toBeLessThanOrEqual(0.05);
  });

  it('prints each stage with its rate and confidence interval, the same for the same seed', () => {
    const first = inProcess(gates, '--noise', '--runs', '10', '--seed', '7');
    expect(first.code).toBe(0);
    const lines = first.stdout.split('\n');
    expect(lines[0]).toMatch(/^False alarms on noise: 10 runs per stage .*seed 7; each sample's coefficient of variation 0\.1; thresholds 2 standard deviations/);
    expect(lines[1]).toMatch(/^ {2}hourly-threshold +\d+\.\d% +\(95% CI \d+\.\d%–\d+\.\d%; \d+ of 10 failed; median alarm after /);
    expect(lines[2]).toMatch(/^ {2}sequential-compare +\d+\.\d% +\(95% CI /);
    expect(inProcess(gates, '--noise', '--runs', '10', '--seed', '7').stdout).toBe(first.stdout);
  });

  it('alarms less on the threshold gate when the noise is smaller', () => {
    const rate = (cv: string) => {
      const run = inProcess(gates, '--noise', '--runs', '5', '--cv', cv, '--json');
      return (JSON.parse(run.stdout) as { noise: { stages: Array<{ rate: number }> } }).noise.stages[0]!.rate;
    };
    // The threshold stays 2 sd of one sample from the level whatever the cv, so the rate does not move with cv alone …
    expect(rate('0.01')).toBe(rate('0.1'));
    // … but with more headroom it falls.
    const run = inProcess(gates, '--noise', '--runs', '5', '--headroom', '5', '--json');
    expect((JSON.parse(run.stdout) as { noise: { stages: Array<{ rate: number }> } }).noise.stages[0]!.rate).toBe(0);
  });

  it('refuses bad noise options, and noise options without --noise', () => {
    for (const [args, message] of [
      [['--noise', '--runs', '0'], '--runs must be a whole number from 1 to 100000, not "0"'],
      [['--noise', '--cv', 'x'], '--cv must be a number above 0, at most 10, not "x"'],
      [['--runs', '5'], '--runs goes with --noise'],
    ] as const) {
      const run = inProcess(gates, ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`rollgate simulate: ${message}`);
    }
  });

  it('computes Wilson score intervals', () => {
    const { lower, upper } = wilsonInterval(5, 100, 0.95);
    // Reference: statsmodels proportion_confint(5, 100, method='wilson') = (0.02154, 0.11175).
    expect(lower).toBeCloseTo(0.02154, 4);
    expect(upper).toBeCloseTo(0.11175, 4);
    expect(wilsonInterval(0, 20, 0.95).lower).toBe(0);
  });
});
