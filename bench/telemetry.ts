import { runLoad, summarize, type LoadPhase } from './support/load';
import { numericOptions } from './support/options';
import { benchDecision, startBenchStack } from './support/stack';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of what metrics and logging cost on the decision hot path: POST
 * /v1/rollouts/:id/decisions against the same API with its request log (JSON lines at info, to
 * /dev/null) and request histogram on, and against one with both off, in one process
 * (bench/support/servers.ts), on the same database and rollout. Each round measures both in
 * two half-slots each, in the order on off off on (the next round off on on off), so load that
 * drifts on a shared machine affects both alike; the ratio reported is the median of the
 * rounds' on/off throughput ratios.
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
    /** cpu is the CPU time (ms) of the process serving both APIs, which serves one variant at a time. */
    const cpu = async () => {
      const usage = (await (await fetch(`${servers.bare}/cpu`)).json()) as { user: number; system: number };
      return (usage.user + usage.system) / 1000;
    };
    const load = async (index: number, seconds: number, label: string): Promise<LoadPhase> => {
      const variant = variants[index]!;
      const before = await cpu();
      const phase = await runLoad({ url: variant.url, clients: options.clients, seconds, headers: service, body: (client, n) => benchDecision(decideBy, `${variant.prefix}-${label}-${client}-${n}`) });
      return { ...phase, cpuMs: (await cpu()) - before };
    };
    log(`warming up: ${options.warmup} s each`);
    for (const index of variants.keys()) await load(index, options.warmup, 'warm');
    log(`measuring: ${options.rounds} rounds of ${options.duration} s each, ${options.clients} clients`);
    const phases = variants.map(() => [] as LoadPhase[]);
    const ratios: number[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      // on off off on (then off on on off): each variant gets an early and a late slot of the
      // round, so load that drifts steadily during the round cancels out of its ratio.
      const order = round % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1];
      const measured: LoadPhase[][] = variants.map(() => []);
      for (const [slot, index] of order.entries()) measured[index]!.push(await load(index, options.duration / 2, `r${round}s${slot}`));
      for (const index of variants.keys()) phases[index]!.push(...measured[index]!);
      const [on, off] = measured.map((slots) => summarize(slots).throughput) as [number, number];
      ratios.push(on / off);
      log(`round ${round + 1}: on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s, ratio ${(on / off).toFixed(3)}`);
    }
    const results = phases.map(summarize);
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    // CPU per request is less disturbed by other processes on a shared machine than throughput.
    const cpuRatio = results[0]!.cpuPerRequestMs / results[1]!.cpuPerRequestMs;
    const lines = [
      '',
      `rollgate telemetry cost on the decision hot path: ${options.clients} clients, ${options.rounds} rounds of ${options.duration} s each, in turns`,
      '',
      `${'variant'.padEnd(26)}${'requests'.padStart(10)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'CPU ms/req'.padStart(12)}${'failed'.padStart(8)}`,
      ...variants.map((variant, index) => {
        const result = results[index]!;
        return `${variant.name.padEnd(26)}${String(result.requests).padStart(10)}${result.throughput.toFixed(0).padStart(9)}${result.p50.toFixed(2).padStart(9)}${result.p99.toFixed(2).padStart(9)}${result.cpuPerRequestMs.toFixed(3).padStart(12)}${String(result.failed).padStart(8)}`;
      }),
      '',
      `round ratios      ${ratios.map((ratio) => ratio.toFixed(3)).join(' ')}`,
      `throughput ratio  ${median.toFixed(3)}× with telemetry on, median of ${ratios.length} rounds (goal ≥ ${GOAL_RATIO}×: ${median >= GOAL_RATIO ? 'met' : 'NOT met'})`,
      `CPU per request   ${cpuRatio.toFixed(3)}× with telemetry on (the cost in CPU: ${((cpuRatio - 1) * 100).toFixed(1)} %)`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    return results.every((result) => result.failed === 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

runBenchmark(main);
