import fc from 'fast-check';
import { Plan, type PlanInput } from '../../definitions/schema';
import { judgeStage, type StageEvaluation } from '../../policy/criteria';
import { criterionReadings, observeCriteria } from '../../policy/evidence-reader';
import type { RolloutStatus } from '../../policy/rollout-types';
import { indexSamples, simulate, type ScenarioSample, type SimulationResult } from '../../simulator/simulate';
import type { EvaluateStageInput } from '../../activities/evaluation';
import type { RecordEventInput, RecordEventsInput } from '../../activities';
import { runtime } from '../support/virtual-workflow';
import { rolloutWorkflow } from '../../workflows/rollout/workflow';

jest.mock('@temporalio/workflow', () => jest.requireActual('../support/virtual-workflow').workflowModule);

/**
 * The engine and the simulator cannot disagree: random plans and evidence (seeded) run through
 * the rollout workflow's own code, on a virtual clock (test/support/virtual-workflow.ts), and
 * through `simulate`, and every stage goes through the same events at the same moments. The
 * workflow's evaluation activity is replaced by the same pure steps it takes (criterionReadings,
 * judgeStage) over the simulator's in-memory EvidenceReader, so what is compared is the two
 * drivers of the stage machine: the workflow's stage runner with its timers, records and
 * sign-off handler, and the simulator's agenda. Sign-off comes signOffAfterMs after it is asked
 * for, as the simulator assumes. Not generated: rollbacks (the simulator caps the loop a person
 * would stop), escalation, per-site and steady-state stages (child workflows).
 */

const START = Date.parse('2026-03-02T06:00:00Z');
const HOUR = 3_600_000;
const HORIZON = START + 30 * 24 * HOUR;
const SIGN_OFF_AFTER = 5 * HOUR;
const METRICS = ['m0', 'm1', 'm2'] as const;

type StageInput = PlanInput['stages'][number];

const criterion = fc.record({
  metric: fc.constantFrom(...METRICS),
  threshold: fc.constantFrom(0.3, 0.5, 0.7),
  window: fc.constantFrom('6h', '1d', '3d'),
  minSamples: fc.constantFrom(1, 3),
  consecutive: fc.constantFrom(1, 2),
});

const stage = (index: number): fc.Arbitrary<StageInput> =>
  fc
    .record({
      dependsOn: index === 0 ? fc.constant<number[]>([]) : fc.subarray([...Array(index).keys()]),
      minDuration: fc.constantFrom('1h', '12h', '2d'),
      evaluationInterval: fc.constantFrom('30m', '2h', '1d'),
      maxDuration: fc.option(fc.constantFrom('3d', '6d'), { nil: undefined }),
      criteria: fc.array(criterion, { maxLength: 2 }),
      onFailure: fc.constantFrom('hold' as const, 'abort' as const),
    })
    .map(({ dependsOn, maxDuration, ...rest }) => ({
      id: `s${index}`,
      title: `Stage ${index}`,
      mode: 'pilot' as const,
      dependsOn: dependsOn.map((d) => `s${d}`),
      approvals: [{ role: 'lead' }],
      ...(maxDuration ? { maxDuration } : {}),
      ...rest,
    }));

const plan = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...[...Array(n).keys()].map(stage)))
  .map((stages) =>
    Plan.parse({
      name: 'engine-sim',
      owner: 'lead',
      metrics: Object.fromEntries(METRICS.map((m, i) => [m, { unit: 'ratio', direction: i === 2 ? 'lower-is-better' : 'higher-is-better' }])),
      stages,
    }),
  );

/**
 * Evidence: each metric reported at its own cadence from a day before the start for 20 days,
 * at one level and then at another from a random moment on (or not at all).
 */
const LEVELS = [0.1, 0.4, 0.6, 0.8, 0.95];
const series = fc.option(
  fc.record({ cadence: fc.constantFrom(1, 3, 8), before: fc.constantFrom(...LEVELS), after: fc.constantFrom(...LEVELS), switchAt: fc.integer({ min: 0, max: 15 * 24 }) }),
  { nil: undefined, freq: 4 },
);
const evidence = fc.tuple(series, series, series).map((all): ScenarioSample[] =>
  all
    .flatMap((metric, i) => {
      if (metric === undefined) return [];
      const samples: ScenarioSample[] = [];
      for (let hour = -24; hour < 20 * 24; hour += metric.cadence) {
        samples.push({ metric: METRICS[i]!, at: START + hour * HOUR + 17 * 60_000, value: hour < metric.switchAt ? metric.before : metric.after });
      }
      return samples;
    })
    .sort((x, y) => x.at - y.at),
);

type Timelines = Record<string, string[]>;
const COMPARED = new Set(['stage.started', 'stage.evaluated', 'stage.awaiting-approval', 'stage.passed', 'stage.held']);
const line = (at: number, type: string, verdict?: string) => `${new Date(at).toISOString()} ${type}${verdict ? `:${verdict}` : ''}`;

function simulatedTimelines(result: SimulationResult): Timelines {
  const lines: Timelines = {};
  for (const event of result.events) {
    if (event.stageId === undefined || !COMPARED.has(event.type)) continue;
    const verdict = event.type === 'stage.evaluated' ? /^criteria (\w+)/.exec(event.detail)![1] : undefined;
    (lines[event.stageId] ??= []).push(line(event.at, event.type, verdict));
  }
  return lines;
}

/**
 * withoutAbortRace leaves out, from either timeline, what the stages do at the very moment the
 * rollout aborts (the moment itself is compared on its own). Stages whose timers fire together
 * evaluate in parallel in the workflow, and which of them gets its step in before the abort, or
 * is the one to abort, depends on which activity completes first: a race the workflow settles
 * either way (its unfinished stages end aborted), while the simulator takes the entries of one
 * moment in plan order and stops at the abort.
 */
function withoutAbortRace(timelines: Timelines, abortedAt: number | undefined): Timelines {
  if (abortedAt === undefined) return timelines;
  const at = new Date(abortedAt).toISOString();
  return Object.fromEntries(
    Object.entries(timelines)
      .map(([id, lines]) => [id, lines.filter((l) => !l.startsWith(at))] as const)
      .filter(([, lines]) => lines.length > 0),
  );
}

/** runEngine runs the rollout workflow over the samples to the horizon, signing off every stage SIGN_OFF_AFTER after it asks. */
async function runEngine(p: Plan, samples: ScenarioSample[]): Promise<{ timelines: Timelines; status: RolloutStatus; abortedAt?: number }> {
  const reader = indexSamples(samples);
  const timelines: Timelines = {};
  let abortedAt: number | undefined;
  const recordEvent = ({ event }: RecordEventInput) => {
    if (event.type === 'rollout.aborted') abortedAt = runtime.now;
    if (event.stageId === undefined || !COMPARED.has(event.type)) return;
    (timelines[event.stageId] ??= []).push(line(runtime.now, event.type, event.type === 'stage.evaluated' ? String(event.detail?.verdict) : undefined));
  };
  runtime.reset(START, {
    recordEvent,
    recordEvents: ({ events }: RecordEventsInput) => events.forEach((event) => recordEvent({ event })),
    evaluateStage: (input: EvaluateStageInput): StageEvaluation => {
      const { readings } = criterionReadings(input.criteria, Date.parse(input.stageStartedAt), Date.parse(input.now));
      const judged = judgeStage(input.criteria, observeCriteria(readings, reader), input.catalog, input.previousConsecutive ?? []);
      return { evaluationId: input.evaluationId, rolloutId: input.rolloutId, stageId: input.stageId, planVersion: input.planVersion, evaluatedAt: input.now, ...judged };
    },
  } as never);
  let ended = false;
  void rolloutWorkflow({ rolloutId: 'r', planName: p.name, planVersion: 1, planDigest: 'digest', plan: p }).finally(() => (ended = true));
  await runtime.settle();
  const signed = new Set<string>();
  for (;;) {
    const status = runtime.query('status') as RolloutStatus;
    const signOffs = status.stages
      .filter((s) => s.state === 'awaiting-approval' && s.awaitingSince !== undefined && !signed.has(`${s.id}@${s.awaitingSince}`))
      .map((s) => ({ id: s.id, key: `${s.id}@${s.awaitingSince}`, at: Date.parse(s.awaitingSince!) + SIGN_OFF_AFTER }))
      .sort((a, b) => a.at - b.at);
    const timer = runtime.nextDeadline();
    const signOff = signOffs[0];
    const next = Math.min(timer ?? Infinity, signOff?.at ?? Infinity);
    if (ended || next === Infinity || next > HORIZON) return { timelines, status, ...(abortedAt !== undefined ? { abortedAt } : {}) };
    if (signOff !== undefined && signOff.at <= next) {
      // A sign-off due with a timer comes first, as in the simulator.
      runtime.now = signOff.at;
      jest.setSystemTime(signOff.at);
      signed.add(signOff.key);
      await runtime.update('approveStage', { stageId: signOff.id, decision: 'approve', actor: { name: 'ann', kind: 'person', roles: ['lead'] } });
    } else {
      await runtime.advanceTo(next);
    }
  }
}

describe('the rollout workflow and the simulator', () => {
  beforeAll(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'] }));
  afterAll(() => jest.useRealTimers());

  it('go through the same stage timelines for random plans and evidence (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(plan, evidence, async (p, samples) => {
        const engine = await runEngine(p, samples);
        const simulated = simulate(p, { samples }, { start: START, untilMs: HORIZON, signOffAfterMs: SIGN_OFF_AFTER });
        const abortedAt = simulated.events.find((event) => event.type === 'rollout.aborted')?.at;
        expect(engine.abortedAt).toBe(abortedAt);
        expect(withoutAbortRace(engine.timelines, abortedAt)).toEqual(withoutAbortRace(simulatedTimelines(simulated), abortedAt));
        // Where each stage ends up: the simulator's `running` covers a stage awaiting sign-off.
        const states = engine.status.stages.map((stage) => [stage.id, stage.state === 'awaiting-approval' ? 'running' : stage.state]);
        expect(states).toEqual(simulated.stages.map((stage) => [stage.id, stage.outcome]));
      }),
      { seed: 17, numRuns: 150 },
    );
  });
});
