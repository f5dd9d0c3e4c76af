import type { bareRolloutWorkflow } from './bare/workflows';
import { pollUntil, stageLoopPlan } from './support/engine-drive';
import { startEngineStack, type EngineStack } from './support/engine-stack';
import { numericOptions } from './support/options';
import { inPool, interleavedOrder, median, ms, percentile, ratio, row } from './support/stats';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of starts: M rollouts started through POST /v1/rollouts against M direct
 * `workflow.start` calls of the bare workflow (bench/bare/), both at the same concurrency, in
 * rounds taken in turns (A B B A …). It reports the start throughput (M / time until the last
 * start is answered) and the time until every one of them has its first stage running: for
 * rollgate the stage.started event is in the audit trail, for the bare workflow its first audit
 * row is in. The stages last an hour and have no criteria, so once started nothing more runs:
 * the rounds' workflows stay open and idle (ending them would make work that spills into the
 * next round: the API reconciles a terminated rollout, an aborted one compensates).
 *
 *   npm run bench -- starts [--starts=200] [--concurrency=50] [--rounds=3] [--poll-ms=100] [--warmup=20]
 *
 * A warm-up round of --warmup starts per system comes first and is not counted.
 *
 * The issue's scale is --starts=1000. Goal (#12): throughput ≥ 0.8× the direct starts.
 */

const GOAL_RATIO = 0.8;
const RUNNING_TIMEOUT_MS = 600_000;

type System = 'rollgate' | 'bare';

interface RoundResult {
  seconds: number;
  throughput: number;
  latenciesMs: number[];
  failed: number;
  firstFailure?: string;
  /** allRunningMs is the time from the round's first start until every first stage runs. */
  allRunningMs: number;
}

async function main(): Promise<number> {
  const options = numericOptions(process.argv.slice(2), { starts: 200, concurrency: 50, rounds: 3, 'poll-ms': 100, warmup: 20 });
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const stack = await startEngineStack(log);
  try {
    const plan = 'bench-starts';
    await stack.uploadPlan(stageLoopPlan(plan, 1, { minDuration: '1h', criteria: false }));
    log(`warming up: ${options.warmup} starts per system`);
    for (const system of ['rollgate', 'bare'] as const) {
      await runRound(stack, system, 'warm-', plan, { ...options, starts: options.warmup });
    }
    const results: Record<System, RoundResult[]> = { rollgate: [], bare: [] };
    const order = interleavedOrder<System>('rollgate', 'bare', options.rounds);
    for (const [index, system] of order.entries()) {
      log(`round ${index + 1}/${order.length}: ${system}, ${options.starts} starts at concurrency ${options.concurrency}`);
      const prefix = `start-${index}-`;
      const result = await runRound(stack, system, prefix, plan, options);
      log(`  ${result.throughput.toFixed(1)} starts/s, all first stages running after ${ms(result.allRunningMs)}, ${result.failed} failed`);
      results[system].push(result);
    }
    report(results, options, stack.workers.rollgate.sizing);
    return [...results.rollgate, ...results.bare].every((r) => r.failed === 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

async function runRound(stack: EngineStack, system: System, prefix: string, plan: string, options: { starts: number; concurrency: number; 'poll-ms': number }): Promise<RoundResult> {
  const ids = Array.from({ length: options.starts }, (_, i) => `${prefix}${i}`);
  let failed = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const latenciesMs = await inPool(ids, options.concurrency, async (id) => {
    const sent = performance.now();
    try {
      if (system === 'rollgate') {
        const answer = await stack.http('POST', '/v1/rollouts', { plan, rolloutId: id });
        if (answer.status !== 201) throw new Error(`${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      } else {
        await stack.temporal.workflow.start<typeof bareRolloutWorkflow>('bareRolloutWorkflow', {
          taskQueue: stack.taskQueues.bare,
          workflowId: `bare-${id}`,
          args: [{ rolloutId: id, stages: 1, timerMs: 3_600_000 }],
        });
      }
    } catch (error) {
      failed += 1;
      firstFailure ??= (error as Error).message;
    }
    return performance.now() - sent;
  });
  const seconds = (performance.now() - started) / 1000;
  const sql =
    system === 'rollgate'
      ? "SELECT count(DISTINCT rollout_id)::int AS n FROM audit_events WHERE type = 'stage.started' AND rollout_id LIKE $1"
      : "SELECT count(DISTINCT rollout_id)::int AS n FROM bench_bare_audit WHERE type = 'stage.started' AND rollout_id LIKE $1";
  const runningAt = await pollUntil(
    async () => (await stack.pool.query<{ n: number }>(sql, [`${prefix}%`])).rows[0]!.n >= options.starts - failed,
    options['poll-ms'],
    RUNNING_TIMEOUT_MS,
    `${options.starts - failed} first stages of ${system} to run`,
  );
  return { seconds, throughput: options.starts / seconds, latenciesMs, failed, ...(firstFailure ? { firstFailure } : {}), allRunningMs: runningAt - started };
}

function report(results: Record<System, RoundResult[]>, options: { starts: number; concurrency: number; rounds: number }, sizing: Record<string, unknown>): void {
  const summary = (system: System) => {
    const rounds = results[system];
    const latencies = rounds.flatMap((r) => r.latenciesMs);
    return {
      throughput: median(rounds.map((r) => r.throughput)),
      throughputs: rounds.map((r) => r.throughput.toFixed(1)).join(', '),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      allRunning: median(rounds.map((r) => r.allRunningMs)),
      allRunnings: rounds.map((r) => ms(r.allRunningMs)).join(', '),
      failed: rounds.reduce((sum, r) => sum + r.failed, 0),
      firstFailure: rounds.find((r) => r.firstFailure)?.firstFailure,
    };
  };
  const r = summary('rollgate');
  const b = summary('bare');
  const throughputRatio = r.throughput / b.throughput;
  const perSecond = (n: number, msValue: number) => `${((n / msValue) * 1000).toFixed(1)}/s`;
  const lines = [
    '',
    `rollgate starts: ${options.starts} starts per round at concurrency ${options.concurrency}, ${options.rounds} rounds per system in turns (A B B A …)`,
    '',
    row('measure', 'POST /v1/rollouts', 'workflow.start', 'ratio', ''),
    row(`start throughput, median of ${options.rounds} rounds`, `${r.throughput.toFixed(1)}/s`, `${b.throughput.toFixed(1)}/s`, ratio(r.throughput, b.throughput),
      `goal ≥ ${GOAL_RATIO}×: ${throughputRatio >= GOAL_RATIO ? 'met' : 'NOT met'}`),
    row('start answer p50', ms(r.p50), ms(b.p50), ratio(r.p50, b.p50), ''),
    row('start answer p99', ms(r.p99), ms(b.p99), ratio(r.p99, b.p99), ''),
    row('every first stage running, median', ms(r.allRunning), ms(b.allRunning), ratio(r.allRunning, b.allRunning), ''),
    row('rollouts brought to their first stage', perSecond(options.starts, r.allRunning), perSecond(options.starts, b.allRunning), ratio(b.allRunning, r.allRunning), ''),
    '',
    `rounds             throughput rollgate ${r.throughputs}; bare ${b.throughputs}`,
    `                   all running rollgate ${r.allRunnings}; bare ${b.allRunnings}`,
    `failed starts      rollgate ${r.failed}, bare ${b.failed}${r.firstFailure ?? b.firstFailure ? `; first: ${r.firstFailure ?? b.firstFailure}` : ''}`,
    `worker sizing      ${JSON.stringify(sizing)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

runBenchmark(main);
