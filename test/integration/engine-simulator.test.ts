import fc from 'fast-check';
import { loadPlan } from '../../definitions';
import { insertSamples } from '../../db/samples';
import { simulate, type ScenarioSample, type SimulationResult } from '../../simulator/simulate';
import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, startRollout, type StatusBody } from '../support/rollouts';

/**
 * The engine and the simulator drive the same stage machine: for random plans and evidence
 * (seeded), a rollout on the real Temporal and PostgreSQL and `simulate` over the same samples
 * go through the same stage timelines and end in the same stage states. The evidence is one
 * value per metric, reported every 200 ms over the whole run, so that the verdicts do not depend
 * on how long the real run takes: a stage's first evaluation, which the simulator makes the moment
 * the stage starts and the workflow once stage.started is recorded, finds fewer than minSamples
 * (5) in either, unless recording took a second; every later one finds enough. Every sign-off is
 * given as soon as it is asked for.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** Evidence of a stage's one criterion: a value that passes, one that fails, or no data at all. */
type Evidence = 'passing' | 'failing' | 'none';
interface StageCase {
  dependsOn: number[];
  minDuration: '1s' | '2s';
  /** evidence undefined: the stage has no criteria. */
  evidence?: Evidence;
  onFailure: 'hold' | 'abort';
}

const stageCase = (index: number): fc.Arbitrary<StageCase> =>
  fc.record({
    dependsOn: index === 0 ? fc.constant<number[]>([]) : fc.subarray([...Array(index).keys()], { minLength: 1 }),
    minDuration: fc.constantFrom('1s' as const, '2s' as const),
    // Mostly passing, so that the later stages of a plan get their turn.
    evidence: fc.constantFrom<Evidence | undefined>('passing', 'passing', 'passing', 'failing', 'none', undefined),
    onFailure: fc.constantFrom('hold' as const, 'abort' as const),
  });
/**
 * A plan of one to three stages. One with an abort runs its stages one after the other: with
 * stages in parallel, whether one is signed off before another aborts the rollout would depend on
 * how fast the sign-off comes, which the simulator only assumes.
 */
const planCase = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...[...Array(n).keys()].map(stageCase)))
  .map((stages) => (stages.some((s) => s.onFailure === 'abort') ? stages.map((s, i) => ({ ...s, dependsOn: i === 0 ? [] : [i - 1] })) : stages));

const VALUE: Record<Evidence, number | undefined> = { passing: 0.95, failing: 0.5, none: undefined };

function planYaml(name: string, stages: StageCase[]): string {
  const lines = [`name: ${name}`, 'owner: test-lead', 'metrics:'];
  stages.forEach((_, i) => lines.push(`  m${i}: { unit: ratio, direction: higher-is-better }`));
  lines.push('stages:');
  stages.forEach((stage, i) => {
    lines.push(`  - id: s${i}`, `    title: Stage ${i}`, '    mode: pilot', `    dependsOn: [${stage.dependsOn.map((d) => `s${d}`).join(', ')}]`);
    lines.push(`    minDuration: ${stage.minDuration}`, '    evaluationInterval: 1s', `    onFailure: ${stage.onFailure}`, '    approvals: [{ role: deployment-lead }]');
    // Without data the criteria stay inconclusive: maxDuration then holds the stage.
    if (stage.evidence !== undefined) lines.push(`    criteria: [{ metric: m${i}, threshold: 0.9, window: 1h, minSamples: 5 }]`, '    maxDuration: 4s');
  });
  return `${lines.join('\n')}\n`;
}

/** samplesFor reports each metric's value every 200 ms for two minutes from `from`. */
function samplesFor(stages: StageCase[], from: number): ScenarioSample[] {
  return stages.flatMap((stage, i) => {
    const value = stage.evidence === undefined ? undefined : VALUE[stage.evidence];
    if (value === undefined) return [];
    return [...Array(600).keys()].map((k) => ({ metric: `m${i}`, value, at: from + 100 + k * 200 }));
  });
}

/** A stage's timeline: its events in order, an evaluation as its verdict. */
type Timelines = Record<string, string[]>;
const COMPARED = new Set(['stage.started', 'stage.evaluated', 'stage.awaiting-approval', 'stage.passed', 'stage.held']);

function simulatedTimelines(result: SimulationResult): Timelines {
  const lines: Timelines = {};
  for (const event of result.events) {
    if (event.stageId === undefined || !COMPARED.has(event.type)) continue;
    const verdict = event.type === 'stage.evaluated' ? `:${/^criteria (\w+)/.exec(event.detail)![1]}` : '';
    (lines[event.stageId] ??= []).push(`${event.type}${verdict}`);
  }
  return lines;
}

/**
 * recordedTimelines reads the rollout's audit trail once it has caught up with the settled
 * status (which the API may read from the workflow before the event that goes with it is
 * written): an event for every passed or held stage, and the rollout's end.
 */
async function recordedTimelines(rolloutId: string, settled: StatusBody): Promise<Timelines> {
  const events = await eventually(async () => {
    const trail = await auditTrail(h, rolloutId);
    const has = (type: string, stageId?: string) => trail.some((e) => e.type === type && (stageId === undefined || e.stageId === stageId));
    const stagesIn = (settled.stages as Array<{ id: string; state: string }>).every((s) => (s.state === 'passed' || s.state === 'held' ? has(`stage.${s.state}`, s.id) : true));
    const ended = settled.state === 'completed' || settled.state === 'aborted' ? has(`rollout.${settled.state}`) : true;
    return stagesIn && ended ? trail : undefined;
  }, `the audit trail of ${rolloutId} to catch up`);
  const lines: Timelines = {};
  for (const event of events) {
    if (event.stageId === undefined || event.stageId === null || !COMPARED.has(event.type)) continue;
    const verdict = event.type === 'stage.evaluated' ? `:${(event.detail as { verdict: string }).verdict}` : '';
    (lines[event.stageId] ??= []).push(`${event.type}${verdict}`);
  }
  return lines;
}

/**
 * settle signs off every stage that asks for it until the rollout ends, or nothing can move
 * without a person: no stage running or awaiting sign-off, and every pending one behind a
 * stage that has not passed.
 */
function settle(rolloutId: string): Promise<StatusBody> {
  return eventually(
    async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      if (body.state === 'completed' || body.state === 'aborted') return body;
      const stages = body.stages as Array<{ id: string; state: string; dependsOn: string[] }>;
      for (const stage of stages.filter((s) => s.state === 'awaiting-approval')) await approve(h, rolloutId, stage.id);
      const passed = new Set(stages.filter((s) => s.state === 'passed').map((s) => s.id));
      const stuck = stages.every((s) => s.state === 'passed' || s.state === 'held' || (s.state === 'pending' && s.dependsOn.some((d) => !passed.has(d))));
      return stuck ? body : undefined;
    },
    `rollout ${rolloutId} to settle`,
    60_000,
  );
}

/** The simulator's stage outcomes as the rollout's stage states. */
const STATE_OF: Record<string, string> = { passed: 'passed', held: 'held', aborted: 'aborted', pending: 'pending' };

describe('the rollout workflow and the simulator', () => {
  const cases = fc.sample(fc.noBias(planCase), { seed: 17, numRuns: 8 });

  it.each(cases.map((stages, i) => [i, stages] as const))('agree on random plan %i', async (i, stages) => {
    const yaml = planYaml(`engine-sim-${i}`, [...stages]);
    const rolloutId = await startRollout(h, yaml);
    const { body: started } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
    const start = Date.parse(started.startedAt);
    const samples = samplesFor([...stages], start);
    if (samples.length > 0) {
      await insertSamples(h.pool, rolloutId, samples.map((s) => ({ metric: s.metric, value: s.value, observedAt: new Date(s.at).toISOString() })), { reportedBy: 'test' });
    }
    const settled = await settle(rolloutId);

    const load = loadPlan(yaml);
    if (!load.ok) throw new Error('the generated plan does not load');
    const simulated = simulate(load.plan, { samples }, { start, signOffAfterMs: 1 });

    const recorded = await recordedTimelines(rolloutId, settled);
    expect(recorded).toEqual(simulatedTimelines(simulated));
    const states = Object.fromEntries((settled.stages as Array<{ id: string; state: string }>).map((s) => [s.id, s.state]));
    expect(states).toEqual(Object.fromEntries(simulated.stages.map((s) => [s.id, STATE_OF[s.outcome] ?? s.outcome])));
    expect(settled.state).toBe({ completed: 'completed', aborted: 'aborted', held: 'running', horizon: 'running' }[simulated.outcome]);
  });
});
