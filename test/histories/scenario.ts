import type { Harness, HttpResult } from '../support/harness';

/**
 * A Scenario drives a short, real rollout through the REST API so that the recorder can keep
 * the histories of every workflow execution it causes. The recorder gives each scenario a
 * harness of its own (database, task queue, worker, API) and records every execution on that
 * task queue, child workflows and continue-as-new runs included.
 *
 * Contract: run ends every workflow it starts (the rollout completes or is aborted, deferred
 * decisions settle), so each recorded history is whole; the recorder fails when one stays open.
 */
export interface Scenario {
  /** description says what the scenario exercises, for the manifest. */
  description: string;
  /**
   * suggestContinueAsNewAfter, when set, runs the scenario on a dev server of its own that
   * suggests continue-as-new once a run's history has this many events.
   */
  suggestContinueAsNewAfter?: number;
  run(h: Harness): Promise<void>;
}

/** expectStatus fails the scenario when an API call did not answer as the scenario assumes. */
export function expectStatus(result: HttpResult, status: number, what: string): HttpResult {
  if (result.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
  return result;
}

/** reportMetric posts samples of one metric as the `mes-bridge` service, observed now. */
export async function reportMetric(h: Harness, rolloutId: string, metric: string, values: number[]): Promise<void> {
  const at = Date.now();
  const samples = values.map((value, i) => ({ metric, value, observedAt: new Date(at + i).toISOString() }));
  expectStatus(await h.http('POST', `/v1/rollouts/${rolloutId}/metrics`, { samples }, await h.as('mes-bridge', [], 'service')), 201, `report ${metric}`);
}
