import { formatIssue } from '../../../definitions/load';
import { parseInstant } from '../../../cli/instant';
import { MAX_SCENARIO_SAMPLES, loadScenario, parseTime, scenarioFormat, type ScenarioLoad } from '../../../cli/scenario';

const START = Date.parse('2026-01-05T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const yaml = (text: string, file = 'scenario.yaml') => loadScenario(text, { start: START, file });
const csv = (text: string, file = 'scenario.csv') => loadScenario(text, { start: START, file, format: 'csv' });

function samplesOf(load: ScenarioLoad) {
  if (!load.ok) throw new Error(load.errors.map((issue) => formatIssue(issue)).join('\n'));
  return load.scenario.samples;
}

function errorsOf(load: ScenarioLoad): string[] {
  if (load.ok) throw new Error('the scenario loaded');
  return load.errors.map((issue) => formatIssue(issue));
}

describe('scenario times', () => {
  it.each([
    ['+3d', START + 3 * DAY],
    ['+6w2d', START + 44 * DAY],
    ['-4w', START - 28 * DAY],
    ['+36h', START + 36 * HOUR],
    ['2026-03-01', Date.parse('2026-03-01T00:00:00Z')],
    ['2026-03-01T06:00Z', Date.parse('2026-03-01T06:00:00Z')],
    ['2026-03-01T06:00:30.5+01:00', Date.parse('2026-03-01T05:00:30.500Z')],
  ])('reads %s', (text, expected) => {
    expect(parseTime(text, START)).toBe(expected);
  });

  it.each(['3d', '+', '+three days', '2026-02-30', '2026-03-01T06:00', 'yesterday', '', '+99999999999999999999999w', '-3654d'])('refuses %j', (text) => {
    expect(parseTime(text, START)).toBeUndefined();
  });

  it('takes a date as midnight UTC for --start', () => {
    expect(parseInstant('2026-12-01')).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(parseInstant('+3d')).toBeUndefined();
  });

  it('picks CSV by the file name', () => {
    expect([scenarioFormat('a.csv'), scenarioFormat('A.CSV'), scenarioFormat('a.yaml'), scenarioFormat('a')]).toEqual(['csv', 'csv', 'yaml', 'yaml']);
  });
});

describe('YAML scenarios', () => {
  it('resolves offsets and instants, runs generators and sorts by time', () => {
    const load = yaml(`description: two kinds of sample
samples:
  - { metric: precision, value: 0.9, at: +1d }
  - { metric: escaped-defects, value: 40, at: -1d }
  - { metric: precision, value: 0.8, at: 2026-01-05T12:00Z }
generators:
  - { metric: throughput, from: +0d, to: +1d, every: 6h, value: 60 }
  - { metric: claims, from: +2d, to: +4d, every: 12h, value: { start: 2, end: 1 } }
`);
    expect(samplesOf(load)).toEqual([
      { metric: 'escaped-defects', value: 40, at: START - DAY },
      { metric: 'throughput', value: 60, at: START },
      { metric: 'throughput', value: 60, at: START + 6 * HOUR },
      { metric: 'precision', value: 0.8, at: START + 12 * HOUR },
      { metric: 'throughput', value: 60, at: START + 12 * HOUR },
      { metric: 'throughput', value: 60, at: START + 18 * HOUR },
      { metric: 'precision', value: 0.9, at: START + DAY },
      // A straight line from start at `from` towards end at `to`, which is not included.
      { metric: 'claims', value: 2, at: START + 2 * DAY },
      { metric: 'claims', value: 1.75, at: START + 2 * DAY + 12 * HOUR },
      { metric: 'claims', value: 1.5, at: START + 3 * DAY },
      { metric: 'claims', value: 1.25, at: START + 3 * DAY + 12 * HOUR },
    ]);
    expect(load.ok && [...load.metrics]).toEqual([
      ['precision', { line: 3, column: 15 }],
      ['escaped-defects', { line: 4, column: 15 }],
      ['throughput', { line: 7, column: 15 }],
      ['claims', { line: 8, column: 15 }],
    ]);
  });

  it('accepts a scenario with samples only, or generators only', () => {
    expect(samplesOf(yaml('samples: [{ metric: m, value: 1, at: +0d }]\n'))).toHaveLength(1);
    expect(samplesOf(yaml('generators: [{ metric: m, from: +0d, to: +1h, every: 30m, value: 1 }]\n'))).toHaveLength(2);
  });

  it('reports every problem of the shape at its line and column', () => {
    const errors = errorsOf(
      yaml(`samples:
  - { metric: precision, value: 0.9, at: +1d }
  - { metric: precision, value: high, at: +1d }
  - { metric: precision, value: 1, at: yesterday }
  - { metric: precision, valeu: 1, at: +2d }
  - { value: 1, at: +2d }
generators:
  - { metric: m, from: +0d, to: +1d, every: 0s, value: 1 }
  - { metric: m, from: +0d, to: +1d, every: 1h, value: { start: 1 } }
`),
    );
    expect(errors).toEqual([
      'scenario.yaml:3:33: error: samples[1].value: expected a number, got "high"',
      'scenario.yaml:4:40: error: samples[2].at: "yesterday" is not a time: write an ISO 8601 time with its zone such as 2026-03-01T06:00Z, a date such as 2026-03-01, or an offset from the start such as +3d or -4w',
      'scenario.yaml:5:5: error: samples[3]: missing required key "value"',
      'scenario.yaml:5:26: error: samples[3]: unknown key "valeu" (did you mean "value"?)',
      'scenario.yaml:6:5: error: samples[4]: missing required key "metric"',
      'scenario.yaml:8:45: error: generators[0].every: "0s" must be longer than 0',
      'scenario.yaml:9:56: error: generators[1].value: missing required key "end"',
    ]);
  });

  it('refuses a generator that ends before it starts, or makes too many samples', () => {
    expect(errorsOf(yaml('generators:\n  - { metric: m, from: +2d, to: +1d, every: 1h, value: 1 }\n'))).toEqual([
      'scenario.yaml:2:33: error: generators[0].to: +1d is not after from (+2d)',
    ]);
    const count = 10 * 7 * 86_400;
    expect(count).toBeGreaterThan(MAX_SCENARIO_SAMPLES);
    expect(errorsOf(yaml('generators:\n  - { metric: m, from: +0d, to: +10w, every: 1s, value: 1 }\n'))).toEqual([
      `scenario.yaml:2:46: error: generators[0].every: the generator makes ${count} samples, more than a scenario may hold in all (${MAX_SCENARIO_SAMPLES}); use a longer every`,
    ]);
  });

  it('refuses YAML that is broken or not a mapping', () => {
    expect(errorsOf(yaml('samples: [{ metric: m, value: 1, at: +0d }\n'))).toEqual([expect.stringMatching(/^scenario\.yaml:2:1: error: invalid YAML: /)]);
    expect(errorsOf(yaml('- { metric: m, value: 1, at: +0d }\n'))).toEqual([
      'scenario.yaml:1:1: error: a scenario is a YAML mapping with samples and/or generators; found a list',
    ]);
    expect(errorsOf(yaml(''))).toEqual(['scenario.yaml:1:1: error: a scenario is a YAML mapping with samples and/or generators; found nothing']);
    expect(errorsOf(yaml('samples: []\nsamples: []\n'))).toEqual([expect.stringMatching(/^scenario\.yaml:2:1: error: invalid YAML: map keys must be unique/)]);
  });

  it('points at the first byte that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('samples:\n  - { metric: caf'), Buffer.from([0xe9]), Buffer.from(', value: 1, at: +0d }\n')]);
    expect(errorsOf(loadScenario(bytes, { start: START, file: 'latin1.yaml' }))).toEqual([
      'latin1.yaml:2:18: error: the file is not valid UTF-8: bad byte 0xE9; save the scenario as UTF-8',
    ]);
  });
});

describe('CSV scenarios', () => {
  it('reads the named columns in any order, ignores others, and sorts by time', () => {
    const load = csv('metric,site,at,value\r\nprecision,plant-a,+1d,0.9\r\n\r\n"escaped-defects",plant-a,"2026-01-04",40\r\nprecision,plant-b,+12h,0.8\r\n');
    expect(samplesOf(load)).toEqual([
      { metric: 'escaped-defects', value: 40, at: START - DAY },
      { metric: 'precision', value: 0.8, at: START + 12 * HOUR },
      { metric: 'precision', value: 0.9, at: START + DAY },
    ]);
    expect(load.ok && [...load.metrics]).toEqual([
      ['precision', { line: 2, column: 1 }],
      ['escaped-defects', { line: 4, column: 1 }],
    ]);
  });

  it('reports each bad field at its line and column', () => {
    const errors = errorsOf(csv('at,metric,value\n+1d,precision,0.9\nsoon,precision,high\n+2d,,1\n+3d,precision\n+4d,"precision,0.9\n'));
    expect(errors).toEqual([
      'scenario.csv:3:1: error: at: "soon" is not a time: write an ISO 8601 time with its zone such as 2026-03-01T06:00Z, a date such as 2026-03-01, or an offset from the start such as +3d or -4w',
      'scenario.csv:3:16: error: value: "high" is not a number',
      'scenario.csv:4:5: error: metric: must not be empty',
      'scenario.csv:5:1: error: the line has 2 fields, the header 3',
      'scenario.csv:6:5: error: the quoted field is not closed',
    ]);
  });

  it('needs a header naming at, metric and value', () => {
    expect(errorsOf(csv('time,metric,value\n+1d,m,1\n'))).toEqual(['scenario.csv:1:1: error: the header has no "at" column; it needs at, metric and value']);
    expect(errorsOf(csv('\n\n'))).toEqual(['scenario.csv:1:1: error: the CSV is empty: write a header line at,metric,value, then one sample a line']);
  });
});
