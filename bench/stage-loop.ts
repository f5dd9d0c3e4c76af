import { workflowIdFor } from '../api/rollout-start';
import { bareApproveUpdate, bareStatusQuery } from './bare/messages';
import type { bareRolloutWorkflow } from './bare/workflows';
import { insertSamples, pollUntil, stageLoopPlan } from './support/engine-drive';
import { startEngineStack, type EngineStack } from './support/engine-stack';
import { readHistory, sumHistories, type HistoryFigures } from './support/histories';
import { numericOptions } from './support/options';
import { interleavedOrder, median, ms, percentile, ratio, row } from './support/stats';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of the stage loop: N rollouts of K chained stages each, driven to completion
 * through the REST API (start, poll GET /v1/rollouts/:id until the stage awaits approval, POST
 * its approval, and again), against the bare workflow of bench/bare/ driven the same way through
 * the Temporal client (start, poll its status query, execute its approval Update). Per stage,
 * the bare workflow does what rollgate must: one audit insert, a 1 s timer, one read of the
 * samples, an Update with a validator. Rounds alternate, A B B A …, each of N concurrent
 * rollouts of one system; the figures are medians over rounds (wall time) or over every
 * approval of all rounds (latencies). Histories are read through the Temporal client after
 * each round.
 *
 *   npm run bench -- stage-loop [--rollouts=10] [--stages=5] [--rounds=3] [--poll-ms=100] [--sample-ms=50]
 *
 * A warm-up rollout of each system runs first and is not counted. The scale is
 * --rollouts=20 --stages=10. Goals (#12): wall ≤ 1.25×, events per stage
 * ≤ 1.5×, bytes per workflow ≤ 2×, approval answer p50 ≤ 2× the bare Update's round trip.
 * Latencies are as the driver sees them: "awaiting" is observed at the poll that first shows
 * it, so it is late by up to --poll-ms, alike for both.
 */

const GOALS = { wall: 1.25, events: 1.5, bytes: 2, approvalP50: 2 } as const;
const STAGE_TIMEOUT_MS = 120_000;

type System = 'rollgate' | 'bare';

interface RoundResult {
  wallMs: number;
  approvalsMs: number[];
  approvalToAwaitingMs: number[];
  /** sentToAwaitingMs runs from the approval's request being sent to the next stage awaiting. */
  sentToAwaitingMs: number[];
  refusedApprovals: number;
  history: HistoryFigures;
}

async function main(): Promise<number> {
  const options = numericOptions(process.argv.slice(2), { rollouts: 10, stages: 5, rounds: 3, 'poll-ms': 100, 'sample-ms': 50 });
  const { rollouts, stages, rounds } = options;
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const stack = await startEngineStack(log);
  try {
    const plan = `bench-stage-loop-${stages}`;
    await stack.uploadPlan(stageLoopPlan(plan, stages));
    const horizonMs = stages * 15_000 + 60_000;
    log('warming up: one rollout of each system');
    for (const system of ['rollgate', 'bare'] as const) {
      await runRound(stack, system, [`warm-${system}`], { plan, stages, pollMs: options['poll-ms'], sampleMs: options['sample-ms'], horizonMs });
    }
    const results: Record<System, RoundResult[]> = { rollgate: [], bare: [] };
    const order = interleavedOrder<System>('rollgate', 'bare', rounds);
    for (const [index, system] of order.entries()) {
      const ids = Array.from({ length: rollouts }, (_, i) => `loop-${index}-${i}`);
      log(`round ${index + 1}/${order.length}: ${system}, ${rollouts} rollouts × ${stages} stages`);
      const result = await runRound(stack, system, ids, { plan, stages, pollMs: options['poll-ms'], sampleMs: options['sample-ms'], horizonMs });
      log(`  wall ${ms(result.wallMs)}, approval p50 ${ms(percentile(result.approvalsMs, 0.5))}, ${(result.history.events / (rollouts * stages)).toFixed(1)} events/stage`);
      results[system].push(result);
    }
    report(results, { rollouts, stages, rounds, pollMs: options['poll-ms'], sizing: stack.workers.rollgate.sizing });
    const refused = [...results.rollgate, ...results.bare].reduce((sum, r) => sum + r.refusedApprovals, 0);
    return refused === 0 ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

interface RoundOptions {
  plan: string;
  stages: number;
  pollMs: number;
  sampleMs: number;
  horizonMs: number;
}

async function runRound(stack: EngineStack, system: System, ids: string[], options: RoundOptions): Promise<RoundResult> {
  const approvalsMs: number[] = [];
  const approvalToAwaitingMs: number[] = [];
  const sentToAwaitingMs: number[] = [];
  let refusedApprovals = 0;
  const started = performance.now();
  const drive = system === 'rollgate' ? driveRollgate : driveBare;
  await Promise.all(
    ids.map((id) =>
      drive(stack, id, options, (approvalMs, sinceApprovalMs, refused) => {
        approvalsMs.push(approvalMs);
        if (sinceApprovalMs !== undefined) approvalToAwaitingMs.push(sinceApprovalMs.answered);
        if (sinceApprovalMs !== undefined) sentToAwaitingMs.push(sinceApprovalMs.sent);
        refusedApprovals += refused;
      }),
    ),
  );
  const wallMs = performance.now() - started;
  const workflowIds = ids.map((id) => (system === 'rollgate' ? workflowIdFor(id) : `bare-${id}`));
  const history = sumHistories(await Promise.all(workflowIds.map((workflowId) => readHistory(stack.temporal, workflowId))));
  return { wallMs, approvalsMs, approvalToAwaitingMs, sentToAwaitingMs, refusedApprovals, history };
}

/**
 * StageObserver hears of each approval: its answer time, the time from the previous stage's
 * approval (its answer, and its request being sent) to this stage awaiting, refusals before it.
 */
type StageObserver = (approvalMs: number, sinceApprovalMs: { answered: number; sent: number } | undefined, refused: number) => void;

/** driveRollgate runs one rollout through the REST API, as an approver would. */
async function driveRollgate(stack: EngineStack, id: string, options: RoundOptions, observe: StageObserver): Promise<void> {
  const start = await stack.http('POST', '/v1/rollouts', { plan: options.plan, rolloutId: id });
  if (start.status !== 201) throw new Error(`start ${id}: ${start.status} ${JSON.stringify(start.body)}`);
  await insertSamples(stack.pool, 'rollgate', id, options.sampleMs, options.horizonMs);
  let previous: { sent: number; answered: number } | undefined;
  for (let k = 1; k <= options.stages; k += 1) {
    const stageId = `s${k}`;
    let refused = 0;
    for (;;) {
      const awaitingAt = await pollUntil(
        async () => {
          const { body } = await stack.http('GET', `/v1/rollouts/${id}`);
          return body?.stages?.find((stage: { id: string }) => stage.id === stageId)?.state === 'awaiting-approval';
        },
        options.pollMs,
        STAGE_TIMEOUT_MS,
        `stage ${stageId} of ${id} to await approval`,
      );
      const sent = performance.now();
      const answer = await stack.http('POST', `/v1/rollouts/${id}/stages/${stageId}/approvals`, { decision: 'approve' }, stack.approver);
      if (answer.status === 200) {
        observe(answer.ms, previous && { answered: awaitingAt - previous.answered, sent: awaitingAt - previous.sent }, refused);
        previous = { sent, answered: performance.now() };
        break;
      }
      refused += 1;
      if (refused > 3) throw new Error(`approval of ${stageId} of ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
  await stack.temporal.workflow.getHandle(workflowIdFor(id)).result();
}

/** driveBare runs one bare workflow through the Temporal client: its query stands for the status GET, its Update for the approval POST. */
async function driveBare(stack: EngineStack, id: string, options: RoundOptions, observe: StageObserver): Promise<void> {
  const handle = await stack.temporal.workflow.start<typeof bareRolloutWorkflow>('bareRolloutWorkflow', {
    taskQueue: stack.taskQueues.bare,
    workflowId: `bare-${id}`,
    args: [{ rolloutId: id, stages: options.stages, timerMs: 1000 }],
  });
  await insertSamples(stack.pool, 'bare', id, options.sampleMs, options.horizonMs);
  let previous: { sent: number; answered: number } | undefined;
  for (let k = 1; k <= options.stages; k += 1) {
    const awaitingAt = await pollUntil(
      async () => {
        const status = await handle.query(bareStatusQuery);
        return status.stage === k && status.state === 'awaiting-approval';
      },
      options.pollMs,
      STAGE_TIMEOUT_MS,
      `stage ${k} of bare-${id} to await approval`,
    );
    const sent = performance.now();
    await handle.executeUpdate(bareApproveUpdate, { args: [{ stage: k, actor: 'bench-approver' }] });
    observe(performance.now() - sent, previous && { answered: awaitingAt - previous.answered, sent: awaitingAt - previous.sent }, 0);
    previous = { sent, answered: performance.now() };
  }
  await handle.result();
}

function report(results: Record<System, RoundResult[]>, run: { rollouts: number; stages: number; rounds: number; pollMs: number; sizing: Record<string, unknown> }): void {
  const perSystem = (system: System) => {
    const rounds = results[system];
    const history = sumHistories(rounds.map((r) => r.history));
    const stagesRun = rounds.length * run.rollouts * run.stages;
    const approvals = rounds.flatMap((r) => r.approvalsMs);
    const toAwaiting = rounds.flatMap((r) => r.approvalToAwaitingMs);
    const sentToAwaiting = rounds.flatMap((r) => r.sentToAwaitingMs);
    return {
      wall: median(rounds.map((r) => r.wallMs)),
      walls: rounds.map((r) => ms(r.wallMs)).join(', '),
      eventsPerStage: history.events / stagesRun,
      bytesPerStage: history.bytes / stagesRun,
      bytesPerWorkflow: history.bytes / (rounds.length * run.rollouts),
      activitiesPerStage: Object.entries(history.activities).map(([type, n]) => `${type} ${(n / stagesRun).toFixed(2)}`).join(', '),
      upsertsPerStage: history.upserts / stagesRun,
      approvalP50: percentile(approvals, 0.5),
      approvalP99: percentile(approvals, 0.99),
      toAwaitingP50: percentile(toAwaiting, 0.5),
      toAwaitingP99: percentile(toAwaiting, 0.99),
      sentToAwaitingP50: percentile(sentToAwaiting, 0.5),
      refused: rounds.reduce((sum, r) => sum + r.refusedApprovals, 0),
    };
  };
  const r = perSystem('rollgate');
  const b = perSystem('bare');
  const verdict = (value: number, goal: number) => (value <= goal ? `goal ≤ ${goal}×: met` : `goal ≤ ${goal}×: NOT met`);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const lines = [
    '',
    `rollgate stage loop: ${run.rollouts} rollouts × ${run.stages} stages per round, ${run.rounds} rounds per system in turns (A B B A …), status polled every ${run.pollMs} ms`,
    '',
    row('measure', 'rollgate', 'bare', 'ratio', ''),
    row(`wall time, median of ${run.rounds} rounds`, ms(r.wall), ms(b.wall), ratio(r.wall, b.wall), verdict(r.wall / b.wall, GOALS.wall)),
    row('history events per stage', r.eventsPerStage.toFixed(1), b.eventsPerStage.toFixed(1), ratio(r.eventsPerStage, b.eventsPerStage), verdict(r.eventsPerStage / b.eventsPerStage, GOALS.events)),
    row('history bytes per stage', kb(r.bytesPerStage), kb(b.bytesPerStage), ratio(r.bytesPerStage, b.bytesPerStage), ''),
    row(`history bytes per ${run.stages}-stage workflow`, kb(r.bytesPerWorkflow), kb(b.bytesPerWorkflow), ratio(r.bytesPerWorkflow, b.bytesPerWorkflow), verdict(r.bytesPerWorkflow / b.bytesPerWorkflow, GOALS.bytes)),
    row('approval answer p50 (POST vs Update)', ms(r.approvalP50), ms(b.approvalP50), ratio(r.approvalP50, b.approvalP50), verdict(r.approvalP50 / b.approvalP50, GOALS.approvalP50)),
    row('approval answer p99', ms(r.approvalP99), ms(b.approvalP99), ratio(r.approvalP99, b.approvalP99), ''),
    row('approval answered → next stage awaiting, p50', ms(r.toAwaitingP50), ms(b.toAwaitingP50), ratio(r.toAwaitingP50, b.toAwaitingP50), ''),
    row('approval answered → next stage awaiting, p99', ms(r.toAwaitingP99), ms(b.toAwaitingP99), ratio(r.toAwaitingP99, b.toAwaitingP99), ''),
    row('approval sent → next stage awaiting, p50', ms(r.sentToAwaitingP50), ms(b.sentToAwaitingP50), ratio(r.sentToAwaitingP50, b.sentToAwaitingP50), ''),
    '',
    `rounds (wall)      rollgate ${r.walls}; bare ${b.walls}`,
    `activities/stage   rollgate: ${r.activitiesPerStage}; bare: ${b.activitiesPerStage}`,
    `upserts/stage      rollgate ${r.upsertsPerStage.toFixed(2)}, bare ${b.upsertsPerStage.toFixed(2)}`,
    `approvals refused  rollgate ${r.refused}, bare ${b.refused} (a refusal is retried after the next poll)`,
    `worker sizing      ${JSON.stringify(run.sizing)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

runBenchmark(main);
