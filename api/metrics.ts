import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseDuration } from '../definitions/duration';
import { readOperationsSnapshot, type OperationsSnapshot } from '../db/operations-snapshot';
import { errorFields, log } from '../telemetry/logger';
import type { RolloutWatch } from './rollout-sweep';
import { routeTemplate } from './route-template';

/**
 * The API's Prometheus metrics. Labels are bounded: plan names, stage ids, metric names, route
 * templates and closed sets; never rollout ids, decision ids or people. Counters and the request
 * histogram live in the process (every API process has its own, as Prometheus expects); the
 * gauges over all rollouts come from one PostgreSQL statement per scrape (db/operations-snapshot.ts),
 * reused for SNAPSHOT_CACHE_MS so that several scrapers cost one query.
 */

/** SNAPSHOT_CACHE_MS is how long one operations snapshot answers scrapes. */
export const SNAPSHOT_CACHE_MS = 5_000;

/** HTTP_BUCKETS are the request duration histogram's upper bounds, in seconds. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** processRegistry holds the API's in-process series; every app in the process reports them. */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const httpRequestDuration = new Histogram({
  name: 'rollgate_http_request_duration_seconds',
  help: 'API request duration in seconds, by method, route template and status class (2xx, 4xx, 5xx).',
  labelNames: ['method', 'route', 'status_class'] as const,
  buckets: HTTP_BUCKETS,
  registers: [processRegistry],
});

export const decisionsSubmitted = new Counter({
  name: 'rollgate_decisions_total',
  help: 'Model decisions recorded, by plan, stage and disposition (auto, deferred, shadow).',
  labelNames: ['plan', 'stage', 'disposition'] as const,
  registers: [processRegistry],
});

/** statusClass is "2xx" for 204 and so on. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** httpMetrics times every request into httpRequestDuration, in an app whose requests matchRoutes tracks. */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const end = httpRequestDuration.startTimer();
  res.once('finish', () => end({ method: req.method, route: routeTemplate(req), status_class: statusClass(res.statusCode) }));
  next();
};

/** SnapshotGauges are the gauges one operations snapshot sets. */
export class SnapshotGauges {
  readonly registry = new Registry();
  private readonly gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [this.registry] });

  readonly rollouts = this.gauge('rollgate_rollouts', 'Rollouts by plan and state (the registry: running, paused, held, completed, aborted, terminated, starting, not-started).', ['plan', 'state']);
  readonly stages = this.gauge('rollgate_stages', 'Stages of unfinished rollouts by plan, stage, mode and state.', ['plan', 'stage', 'mode', 'state']);
  readonly approvalsWaiting = this.gauge('rollgate_approvals_waiting', 'Stages awaiting sign-off, by plan and stage.', ['plan', 'stage']);
  readonly approvalOldest = this.gauge('rollgate_approval_oldest_wait_seconds', 'Seconds the longest-waiting sign-off of a plan and stage has waited.', ['plan', 'stage']);
  readonly approvalsPastEscalation = this.gauge(
    'rollgate_approvals_past_escalation',
    "Stages awaiting sign-off for longer than their plan's first escalation step, by plan and stage.",
    ['plan', 'stage'],
  );
  readonly evidenceAge = this.gauge(
    'rollgate_evidence_age_seconds',
    'Seconds since the latest sample of a running stage criterion metric (the stalest rollout; since the stage started when none arrived).',
    ['plan', 'stage', 'metric'],
  );
  readonly deferralsPending = this.gauge('rollgate_deferred_decisions_pending', 'Deferred decisions waiting for a person, by plan and stage.', ['plan', 'stage']);
  readonly deferralOldest = this.gauge('rollgate_deferred_decision_oldest_age_seconds', 'Seconds the oldest pending deferred decision has waited, by plan and stage.', ['plan', 'stage']);
  readonly calibrations = this.gauge('rollgate_calibrations', 'Threshold calibration proposals by plan, stage and state (proposed, approved, rejected).', ['plan', 'stage', 'state']);
  readonly stuck = this.gauge('rollgate_rollouts_stuck', 'Rollouts whose workflow task keeps failing, as the last sweep found them, by plan.', ['plan']);
  readonly snapshotUp = this.gauge('rollgate_operations_snapshot_up', '1 when the last operations snapshot was read from PostgreSQL, 0 when it failed.', []);
  readonly snapshotSeconds = this.gauge('rollgate_operations_snapshot_duration_seconds', 'Seconds the last operations snapshot statement took.', []);

  /** apply replaces every snapshot gauge with what snapshot says, as of now (ms). */
  apply(snapshot: OperationsSnapshot, now: number): void {
    for (const gauge of [this.rollouts, this.stages, this.approvalsWaiting, this.approvalOldest, this.approvalsPastEscalation, this.evidenceAge, this.deferralsPending, this.deferralOldest, this.calibrations]) {
      gauge.reset();
    }
    for (const row of snapshot.rollouts) this.rollouts.set({ plan: row.plan, state: row.state }, row.count);
    for (const row of snapshot.stages) this.stages.set({ plan: row.plan, stage: row.stage, mode: row.mode, state: row.state }, row.count);
    const seconds = (since: Date) => Math.max(0, (now - since.getTime()) / 1000);
    const waiting = new Map<string, { plan: string; stage: string; count: number; oldest: number; overdue: number }>();
    for (const row of snapshot.approvals) {
      const key = JSON.stringify([row.plan, row.stage]);
      const entry = waiting.get(key) ?? { plan: row.plan, stage: row.stage, count: 0, oldest: 0, overdue: 0 };
      const after = row.escalationAfter === undefined ? undefined : parseDuration(row.escalationAfter);
      entry.count += 1;
      entry.oldest = Math.max(entry.oldest, seconds(row.awaitingSince));
      if (after !== undefined && now - row.awaitingSince.getTime() > after) entry.overdue += 1;
      waiting.set(key, entry);
    }
    for (const { plan, stage, count, oldest, overdue } of waiting.values()) {
      this.approvalsWaiting.set({ plan, stage }, count);
      this.approvalOldest.set({ plan, stage }, oldest);
      this.approvalsPastEscalation.set({ plan, stage }, overdue);
    }
    for (const row of snapshot.evidence) this.evidenceAge.set({ plan: row.plan, stage: row.stage, metric: row.metric }, seconds(row.lastSampleAt));
    for (const row of snapshot.deferrals) {
      this.deferralsPending.set({ plan: row.plan, stage: row.stage }, row.count);
      this.deferralOldest.set({ plan: row.plan, stage: row.stage }, seconds(row.oldest));
    }
    for (const row of snapshot.calibrations) this.calibrations.set({ plan: row.plan, stage: row.stage, state: row.state }, row.count);
  }

  /** applyStuck replaces rollgate_rollouts_stuck with the rollouts the watch found stuck. */
  applyStuck(stuck: { plan: string }[], plans: Iterable<string>): void {
    this.stuck.reset();
    for (const plan of plans) this.stuck.set({ plan }, 0);
    for (const { plan } of stuck) this.stuck.inc({ plan });
  }
}

/**
 * metricsRoute serves GET /metrics in the Prometheus text format: the process's series and the
 * operations snapshot, read at most every SNAPSHOT_CACHE_MS. When PostgreSQL fails, the snapshot
 * gauges keep their last values and rollgate_operations_snapshot_up is 0; the route still answers.
 */
export function metricsRoute(pool: Pool, watch?: RolloutWatch): RequestHandler {
  const gauges = new SnapshotGauges();
  let cached: { at: number; done: Promise<void> } | undefined;
  const refresh = (): Promise<void> => {
    const now = Date.now();
    if (cached && now - cached.at < SNAPSHOT_CACHE_MS) return cached.done;
    const done = (async () => {
      const started = performance.now();
      try {
        const snapshot = await readOperationsSnapshot(pool);
        gauges.apply(snapshot, Date.now());
        gauges.snapshotUp.set(1);
        const plans = new Set(snapshot.rollouts.map((row) => row.plan));
        if (watch) gauges.applyStuck(watch.stuck().rollouts, plans);
      } catch (error) {
        gauges.snapshotUp.set(0);
        log().warn({ ...errorFields(error) }, 'metrics: the operations snapshot failed');
      } finally {
        gauges.snapshotSeconds.set((performance.now() - started) / 1000);
      }
    })();
    cached = { at: now, done };
    return done;
  };
  const registry = Registry.merge([processRegistry, gauges.registry]);
  return async (_req, res) => {
    await refresh();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await registry.metrics());
  };
}
