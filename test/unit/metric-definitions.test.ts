import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { processRegistry, SnapshotGauges, statusClass } from '../../api/metrics';
import { createLogger, REDACTED } from '../../telemetry/logger';
import { logContext, parseListenAddress, workerRegistry } from '../../workers/metrics';

/** Label names that would make a series per rollout, decision or person. */
const UNBOUNDED_LABELS = ['rollout', 'rollout_id', 'rolloutId', 'decision', 'decision_id', 'principal', 'actor', 'user', 'person', 'request_id'];

async function definitions(registry: Registry) {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.filter((metric) => metric.name.startsWith('rollgate_'));
}

async function labelsOf(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name) as unknown as { labelNames: string[] };
  return metric.labelNames;
}

describe('metric definitions', () => {
  const gauges = new SnapshotGauges();
  const registries: [string, Registry][] = [
    ['worker', workerRegistry],
    ['snapshot', gauges.registry],
    ['api', processRegistry],
  ];

  it.each(registries)('follow the Prometheus naming conventions (%s)', async (_name, registry) => {
    const metrics = await definitions(registry);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^rollgate_[a-z_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      else expect(metric.name).not.toMatch(/_total$/);
      if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
      expect(metric.help.length).toBeGreaterThan(20);
      for (const label of await labelsOf(registry, metric.name)) expect(UNBOUNDED_LABELS).not.toContain(label);
    }
  });

  it('are each listed in docs/operations.md', async () => {
    const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
    const names = (await Promise.all(registries.map(([, registry]) => definitions(registry)))).flat().map((metric) => metric.name);
    expect(names.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('snapshot gauges', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000);

  it('count waiting approvals, keep the oldest wait and count those past their first escalation step', async () => {
    const gauges = new SnapshotGauges();
    gauges.apply(
      {
        rollouts: [{ plan: 'press-7', state: 'running', count: 3 }],
        stages: [],
        approvals: [
          { plan: 'press-7', stage: 'pilot', awaitingSince: ago(3 * 3600), escalationAfter: '2h' },
          { plan: 'press-7', stage: 'pilot', awaitingSince: ago(600), escalationAfter: '2h' },
          { plan: 'press-7', stage: 'shadow', awaitingSince: ago(90_000) },
        ],
        evidence: [{ plan: 'press-7', stage: 'pilot', metric: 'escaped-defects', lastSampleAt: ago(120) }],
        deferrals: [{ plan: 'press-7', stage: 'pilot', count: 4, oldest: ago(45) }],
        calibrations: [],
      },
      now,
    );
    const value = async (gauge: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, stage: string) =>
      (await gauge.get()).values.find((entry) => entry.labels.stage === stage)?.value;
    expect(await value(gauges.approvalsWaiting, 'pilot')).toBe(2);
    expect(await value(gauges.approvalOldest, 'pilot')).toBe(3 * 3600);
    expect(await value(gauges.approvalsPastEscalation, 'pilot')).toBe(1);
    // No escalation step: never past it, however long it waits.
    expect(await value(gauges.approvalsPastEscalation, 'shadow')).toBe(0);
    expect(await value(gauges.evidenceAge, 'pilot')).toBe(120);
    expect(await value(gauges.deferralsPending, 'pilot')).toBe(4);
    expect(await value(gauges.deferralOldest, 'pilot')).toBe(45);

    // A later snapshot without the stage removes its series.
    gauges.apply({ rollouts: [], stages: [], approvals: [], evidence: [], deferrals: [], calibrations: [] }, now);
    expect((await gauges.approvalsWaiting.get()).values).toEqual([]);
  });

  it('name status classes', () => {
    expect([statusClass(200), statusClass(204), statusClass(404), statusClass(503)]).toEqual(['2xx', '2xx', '4xx', '5xx']);
  });
});

describe('worker telemetry helpers', () => {
  it('find the rollout and stage of an activity from its input or its workflow id', () => {
    expect(logContext('rollout-r1', { rolloutId: 'r1', stageId: 'pilot' })).toEqual({ rolloutId: 'r1', stageId: 'pilot' });
    expect(logContext('rollout-r2', { event: { rolloutId: 'r2', stageId: 'shadow' } })).toEqual({ rolloutId: 'r2', stageId: 'shadow' });
    expect(logContext('rollout-r3', [])).toEqual({ rolloutId: 'r3' });
    expect(logContext('decision-x', { decisionId: 'd1' })).toEqual({});
  });

  it('parse listen addresses', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(() => parseListenAddress('localhost')).toThrow('is not host:port');
  });
});

describe('the logger', () => {
  it('redacts secrets wherever a line carries them', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ authorization: 'Bearer rg_secret1', headers: { authorization: 'Bearer rg_secret2' }, target: { secret: 'whsec_3' }, taskToken: 'tt4' }, 'line');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'line', authorization: REDACTED, headers: { authorization: REDACTED }, target: { secret: REDACTED }, taskToken: REDACTED });
    for (const secret of ['rg_secret1', 'rg_secret2', 'whsec_3', 'tt4']) expect(lines[0]).not.toContain(secret);
  });
});
