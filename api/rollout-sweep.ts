import { missingRollouts, RegistryState, unsettledRollouts } from '../db/rollouts';
import { adoptWorkflow, reconcileRollout, withinTimeout, type ReconcileDeps, type Stuck } from './rollout-reconcile';
import { rolloutIdOf } from './rollout-start';

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
}

/**
 * sweepRollouts reconciles the registry with Temporal: it adopts running workflows of taskQueue
 * started in the last day without a row, and reconciles every rollout not in a final state.
 * Stuck rollouts are logged by name on every sweep while they stay stuck.
 */
export async function sweepRollouts(deps: ReconcileDeps): Promise<SweepReport> {
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
  const rows = await unsettledRollouts(deps.pool, SWEEP_LIMIT);
  for (let next = 0; next < rows.length; next += SWEEP_CONCURRENCY) {
    const findings = await Promise.allSettled(
      rows.slice(next, next + SWEEP_CONCURRENCY).map((row) => withinTimeout(deps.temporal, SWEEP_CALL_TIMEOUT_MS, () => reconcileRollout(deps, row))),
    );
    for (const [index, finding] of findings.entries()) {
      const row = rows[next + index]!;
      if (finding.status === 'rejected') {
        console.error(`api: rollout sweep could not reconcile ${row.rolloutId}: ${(finding.reason as Error).message}`);
        continue;
      }
      if (finding.value.terminated && row.state !== RegistryState.terminated) report.terminated.push(row.rolloutId);
      if (finding.value.stuck) report.stuck.push({ rolloutId: row.rolloutId, plan: row.plan, stuck: finding.value.stuck });
    }
  }
  for (const { rolloutId, plan, stuck } of report.stuck) {
    console.error(`api: rollout ${rolloutId} (plan ${plan}) is stuck since ${stuck.since}: its workflow task failed ${stuck.attempts} times: ${stuck.message}`);
  }
  for (const rolloutId of report.terminated) console.warn(`api: rollout ${rolloutId} was terminated outside rollgate; recorded rollout.terminated`);
  return report;
}

/**
 * RolloutWatch runs sweepRollouts and keeps what the last sweep found stuck, for /healthz.
 * One per API process; sweeps do not overlap.
 */
export class RolloutWatch {
  private lastStuck: SweepReport['stuck'] = [];
  private lastSweepAt: string | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(private readonly deps: ReconcileDeps) {}

  /** sweep runs one sweep, or joins the one under way. */
  sweep(): Promise<SweepReport> {
    this.running ??= sweepRollouts(this.deps)
      .then((report) => {
        this.lastStuck = report.stuck;
        this.lastSweepAt = new Date().toISOString();
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** stuck is what the last finished sweep found stuck, and when it finished. */
  stuck(): { rollouts: SweepReport['stuck']; checkedAt?: string } {
    return { rollouts: this.lastStuck, ...(this.lastSweepAt ? { checkedAt: this.lastSweepAt } : {}) };
  }
}
