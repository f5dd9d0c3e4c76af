import { missingRollouts, RegistryState, unsettledRollouts } from '../db/rollouts';
import { adoptWorkflow, reconcileRollout, withinTimeout, type ReconcileDeps, type Stuck } from './rollout-reconcile';
import { rolloutIdOf } from './rollout-start';
import { errorFields, log } from '../telemetry/logger';

/*
 * The rollout sweep: every API process runs it periodically (api/server.ts) to find what no
 * request would, namely workflows started without a registry row, starts that never got
 * through, terminations from outside rollgate, and stuck rollouts, and to settle them with
 * api/rollout-reconcile.ts. /healthz reports what the last sweep found stuck.
 */

/** How far back the sweep looks for workflows that were started without a registry row. */
const ADOPT_LOOKBACK_MS = 24 * 3_600_000;
/** Rollouts one sweep inspects, and how many at a time. */
const SWEEP_LIMIT = 1_000;
const SWEEP_CONCURRENCY = 8;
/** How long the sweep's calls to Temporal for one rollout may take, retries included. */
const SWEEP_CALL_TIMEOUT_MS = 10_000;

/** SweepReport is what one sweep did and found. */
export interface SweepReport {
  adopted: string[];
  terminated: string[];
  stuck: { rolloutId: string; plan: string; stuck: Stuck }[];
  /** after is the last rollout id this sweep looked at when more may follow: the next sweep goes on from there. */
  after?: string;
}

/**
 * sweepRollouts reconciles the registry with Temporal: it adopts running workflows of taskQueue
 * started in the last day without a row, and reconciles up to SWEEP_LIMIT rollouts not in a final
 * state, in rollout id order after `after`, so that successive sweeps reach every one of them.
 * Stuck rollouts are logged by name on every sweep while they stay stuck.
 */
export async function sweepRollouts(deps: ReconcileDeps, after?: string): Promise<SweepReport> {
  const report: SweepReport = { adopted: [], terminated: [], stuck: [] };
  const since = new Date(Date.now() - ADOPT_LOOKBACK_MS).toISOString();
  const running: string[] = [];
  const query = `WorkflowType = 'rolloutWorkflow' AND TaskQueue = '${deps.taskQueue.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running' AND StartTime > '${since}'`;
  await withinTimeout(deps.temporal, SWEEP_CALL_TIMEOUT_MS, async () => {
    for await (const workflow of deps.temporal.workflow.list({ query })) {
      const rolloutId = rolloutIdOf(workflow.workflowId);
      if (rolloutId && !workflow.parentExecution) running.push(rolloutId);
    }
  });
  for (const rolloutId of await missingRollouts(deps.pool, running)) {
    if (await withinTimeout(deps.temporal, SWEEP_CALL_TIMEOUT_MS, () => adoptWorkflow(deps, rolloutId))) report.adopted.push(rolloutId);
  }
  const rows = await unsettledRollouts(deps.pool, SWEEP_LIMIT, after);
  if (rows.length === SWEEP_LIMIT) report.after = rows.at(-1)!.rolloutId;
  for (let next = 0; next < rows.length; next += SWEEP_CONCURRENCY) {
    const findings = await Promise.allSettled(
      rows.slice(next, next + SWEEP_CONCURRENCY).map((row) => withinTimeout(deps.temporal, SWEEP_CALL_TIMEOUT_MS, () => reconcileRollout(deps, row))),
    );
    for (const [index, finding] of findings.entries()) {
      const row = rows[next + index]!;
      if (finding.status === 'rejected') {
        log().error({ rolloutId: row.rolloutId, ...errorFields(finding.reason) }, `api: rollout sweep could not reconcile ${row.rolloutId}`);
        continue;
      }
      if (finding.value.terminated && row.state !== RegistryState.terminated) report.terminated.push(row.rolloutId);
      if (finding.value.stuck) report.stuck.push({ rolloutId: row.rolloutId, plan: row.plan, stuck: finding.value.stuck });
    }
  }
  for (const { rolloutId, plan, stuck } of report.stuck) {
    log().error({ rolloutId, plan, stuck }, `api: rollout ${rolloutId} (plan ${plan}) is stuck since ${stuck.since}: its workflow task failed ${stuck.attempts} times: ${stuck.message}`);
  }
  for (const rolloutId of report.terminated) log().warn({ rolloutId }, `api: rollout ${rolloutId} was terminated outside rollgate; recorded rollout.terminated`);
  return report;
}

/**
 * RolloutWatch runs sweepRollouts and keeps what the last sweep found stuck, for /healthz.
 * One per API process; sweeps do not overlap.
 */
export class RolloutWatch {
  /** The stuck rollouts sweeps found, by rollout id: each sweep updates those it looked at. */
  private readonly stuckById = new Map<string, SweepReport['stuck'][number]>();
  private lastSweepAt: string | undefined;
  private after: string | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(private readonly deps: ReconcileDeps) {}

  /** sweep runs one sweep, or joins the one under way. */
  sweep(): Promise<SweepReport> {
    const from = this.after;
    this.running ??= sweepRollouts(this.deps, from)
      .then((report) => {
        // The sweep saw every unsettled rollout with an id in (from, report.after]: what it did
        // not find stuck there is not stuck any more, or has settled.
        for (const rolloutId of this.stuckById.keys()) {
          if (rolloutId > (from ?? '') && (report.after === undefined || rolloutId <= report.after)) this.stuckById.delete(rolloutId);
        }
        for (const entry of report.stuck) this.stuckById.set(entry.rolloutId, entry);
        this.after = report.after;
        this.lastSweepAt = new Date().toISOString();
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** stuck is what the sweeps found stuck, and when the last one finished. */
  stuck(): { rollouts: SweepReport['stuck']; checkedAt?: string } {
    return { rollouts: [...this.stuckById.values()], ...(this.lastSweepAt ? { checkedAt: this.lastSweepAt } : {}) };
  }
}
