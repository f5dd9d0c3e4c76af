import { Criterion, type Plan } from '../../definitions/schema';
import { judgeStage, type CriterionObservation } from '../../policy/criteria';
import { criterionReadings } from '../../policy/evidence-reader';
import { summarize } from '../../policy/statistics/summary';
import { loadPlan } from '../../definitions/load';
import { indexSamples } from '../../simulator/samples';
import { simulate } from '../../simulator/simulate';
import { comparesWithPreviousWave, previousWaveSites } from '../../workflows/site-plan';

/** `control: { wave: previous }`: a site's comparison group is the previous wave's sites over the same window. */

const catalog: Plan['metrics'] = { throughput: { unit: 'parts/h', direction: 'higher-is-better', kind: 'leading', guardrail: true } };
const previous = Criterion.parse({ metric: 'throughput', window: '14d', minSamples: 5, compare: { against: 'control', control: { wave: 'previous' } } });
const scoped = Criterion.parse({ metric: 'throughput', window: '14d', compare: { against: 'control', control: { scope: { site: 'plant-z' } } } });
const DAY = 86_400_000;
const waves = [{ sites: ['plant-a'] }, { sites: ['plant-b', 'plant-c'] }, { sites: ['plant-d'] }];

describe('the previous wave as a control group', () => {
  it('lists the sites of the wave before, none in the first wave', () => {
    expect(previousWaveSites(waves, 1)).toEqual([]);
    expect(previousWaveSites(waves, 2)).toEqual(['plant-a']);
    expect(previousWaveSites(waves, 3)).toEqual(['plant-b', 'plant-c']);
    expect(previousWaveSites(waves, 4)).toEqual(['plant-d']);
  });

  it('is asked for only by stages comparing with the previous wave', () => {
    expect(comparesWithPreviousWave({ criteria: [scoped, previous] })).toBe(true);
    expect(comparesWithPreviousWave({ criteria: [scoped] })).toBe(false);
  });

  it("reads the previous wave's sites over the stage's own window, and leaves them out of the stage's group", () => {
    const started = Date.UTC(2026, 11, 1);
    const now = started + 20 * DAY;
    const [reading] = criterionReadings([previous], started, now, ['plant-b', 'plant-c']).readings;
    expect(reading!.comparison).toEqual({
      reference: reading!.window,
      treatment: { kind: 'stage', exclude: [{ site: 'plant-b' }, { site: 'plant-c' }] },
      control: { kind: 'scopes', anyOf: [{ site: 'plant-b' }, { site: 'plant-c' }] },
      keepValues: false,
      windowFull: true,
    });
    expect(reading!.window).toEqual({ from: now - 14 * DAY, to: now });
    // The in-memory evidence picks the groups by those selections.
    const samples = ['plant-a', 'plant-b', 'plant-c', 'plant-d'].flatMap((site, k) =>
      Array.from({ length: 10 }, (_, i) => ({ metric: 'throughput', value: 100 + k, at: now - (i + 1) * DAY, scope: { site } })),
    );
    const index = indexSamples(samples);
    const control = index.group('throughput', reading!.comparison!.reference, reading!.comparison!.control, false);
    expect(control).toMatchObject({ n: 20, mean: 101.5 });
  });

  it('is inconclusive in the first wave, and says why', () => {
    const [reading] = criterionReadings([previous], 0, 20 * DAY, []).readings;
    expect(reading!.comparison!.control).toEqual({ kind: 'scopes', anyOf: [] });
    const observed: CriterionObservation = {
      index: 0,
      metric: 'throughput',
      window: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-15T00:00:00.000Z' },
      observation: { value: 100, samples: 10 },
      comparison: {
        treatment: summarize([100, 101, 99, 100, 102, 98, 100, 101, 99, 100], false),
        reference: summarize([], false),
        referenceWindow: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-15T00:00:00.000Z' },
        windowFull: true,
      },
    };
    const judged = judgeStage([previous], [observed], catalog).criteria[0]!;
    expect(judged.verdict).toBe('inconclusive');
    expect(judged.reason).toBe("no data from the previous wave's sites over the window (the first wave has no previous wave to compare with)");
  });

  it('holds the first wave of a simulated per-site stage inconclusive, for want of a previous wave', () => {
    const loaded = loadPlan(`
name: waves
owner: lead
metrics:
  throughput: { unit: parts/h, direction: higher-is-better, guardrail: true }
stages:
  - id: phased
    title: Phased
    mode: supervised
    overrideAuthority: lead
    scope: { sites: [plant-a, plant-b] }
    minDuration: 1d
    maxDuration: 2d
    forEach: { over: sites, waves: [1, rest] }
    criteria:
      - { metric: throughput, window: 1d, minSamples: 5, compare: { against: control, control: { wave: previous } } }
    approvals: [{ role: lead }]
`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const samples = Array.from({ length: 72 }, (_, i) => ({ metric: 'throughput', value: 100 + (i % 3), at: i * 3_600_000, scope: { site: 'plant-a' } }));
    const result = simulate(loaded.plan, { samples }, { start: 0, untilMs: 10 * DAY });
    const held = result.events.find((event) => event.type === 'stage.held');
    expect(held?.detail).toContain("throughput: no data from the previous wave's sites over the window (the first wave has no previous wave to compare with)");
  });
});
