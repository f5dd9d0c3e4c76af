import { runLoad, summarize, type LoadPhase } from './support/load';
import { numericOptions } from './support/options';
import { benchDecision, startBenchStack } from './support/stack';

/**
 * Benchmark of what metrics and logging cost on the decision hot path: POST
 * /v1/rollouts/:id/decisions against the same API with its request log (JSON lines at info, to
 * /dev/null) and request histogram on, and against one with both off, in one process
 * (bench/support/servers.ts), on the same database and rollout. Each round measures both, in
 * turns (on off, then off on, …), so drift on a shared machine affects both alike; the ratio
 * reported is the median of the rounds' on/off throughput ratios.
 *
 *   npm run bench -- telemetry [--duration=4] [--clients=100] [--warmup=2] [--rounds=5]
 *
 * Goal: with telemetry on, at least 0.9× the throughput with it off. Exits 1 when a request failed.
 */

const GOAL_RATIO = 0.9;

async function main(): Promise<number> {
  const options = numericOptions(process.argv.slice(2), { duration: 4, clients: 100, warmup: 2, rounds: 5 });
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const stack = await startBenchStack(log);
  try {
    const { servers, service, rolloutId } = stack;
    const decideBy = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const variants = [
      { name: 'metrics and logging on', url: `${servers.api}/v1/rollouts/${rolloutId}/decisions`, prefix: 'on' },
      { name: 'metrics and logging off', url: `${servers.quiet}/v1/rollouts/${rolloutId}/decisions`, prefix: 'off' },
    ];
    const load = (index: number, seconds: number, label: string) => {
      const variant = variants[index]!;
      return runLoad({ url: variant.url, clients: options.clients, seconds, headers: service, body: (client, n) => benchDecision(decideBy, `${variant.prefix}-${label}-${client}-${n}`) });
    };
    log(`warming up: ${options.warmup} s each`);
    for (const index of variants.keys()) await load(index, options.warmup, 'warm');
    log(`measuring: ${options.rounds} rounds of ${options.duration} s each, ${options.clients} clients`);
    const phases = variants.map(() => [] as LoadPhase[]);
    const ratios: number[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      const measured: LoadPhase[] = [];
      for (const index of order) measured[index] = await load(index, options.duration, `r${round}`);
      for (const index of variants.keys()) phases[index]!.push(measured[index]!);
      const [on, off] = measured.map((phase) => summarize([phase]).throughput) as [number, number];
      ratios.push(on / off);
      log(`round ${round + 1}: on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s, ratio ${(on / off).toFixed(3)}`);
    }
    const results = phases.map(summarize);
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    const lines = [
      '',
      `rollgate telemetry cost on the decision hot path: ${options.clients} clients, ${options.rounds} rounds of ${options.duration} s each, in turns`,
      '',
      `${'variant'.padEnd(26)}${'requests'.padStart(10)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'failed'.padStart(8)}`,
      ...variants.map((variant, index) => {
        const result = results[index]!;
        return `${variant.name.padEnd(26)}${String(result.requests).padStart(10)}${result.throughput.toFixed(0).padStart(9)}${result.p50.toFixed(2).padStart(9)}${result.p99.toFixed(2).padStart(9)}${String(result.failed).padStart(8)}`;
      }),
      '',
      `round ratios      ${ratios.map((ratio) => ratio.toFixed(3)).join(' ')}`,
      `throughput ratio  ${median.toFixed(3)}× with telemetry on, median of ${ratios.length} rounds (goal ≥ ${GOAL_RATIO}×: ${median >= GOAL_RATIO ? 'met' : 'NOT met'})`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    return results.every((result) => result.failed === 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${String(error)}\n`);
    process.exit(1);
  },
);
