import type { Pool } from 'pg';
import { eventually, type Harness, type HttpResult } from './harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- decision JSON as the API returns it
export type DecisionBody = any;

/** inAnHour is a decideBy an hour from now. */
export const inAnHour = (): string => new Date(Date.now() + 3_600_000).toISOString();

/**
 * waitForActiveStages waits until the rollout registry, which the decision path reads, lists
 * exactly these active stages (in order). Only the pool is needed, so the benchmark can use it too.
 */
export function waitForActiveStages(h: { pool: Pool }, rolloutId: string, stages: string[], timeoutMs?: number): Promise<true> {
  return eventually(
    async () => {
      const { rows } = await h.pool.query<{ active: string[] }>('SELECT active_stages AS active FROM rollouts WHERE rollout_id = $1', [rolloutId]);
      return JSON.stringify(rows[0]?.active) === JSON.stringify(stages) ? true : undefined;
    },
    `rollout ${rolloutId} to have active stages ${stages.join(', ') || '(none)'}`,
    timeoutMs,
  );
}

/**
 * submitDecision posts a decision to POST /v1/rollouts/:id/decisions as `as`, by default the
 * `tms` service, and returns the response for the test to check. fields go over the defaults
 * (kind carrier-selection, decideBy in an hour, a nordfracht recommendation); a field set to
 * undefined is left out of the request.
 */
export async function submitDecision(
  h: Harness,
  rolloutId: string,
  decisionId: string,
  fields: Record<string, unknown> = {},
  as?: Record<string, string>,
): Promise<HttpResult> {
  const body = { decisionId, kind: 'carrier-selection', decideBy: inAnHour(), recommendation: { carrier: 'nordfracht' }, ...fields };
  return h.http('POST', `/v1/rollouts/${rolloutId}/decisions`, body, as ?? (await h.as('tms', [], 'service')));
}

/** waitForDecision polls GET /v1/decisions/:id (as `as`, by default the admin) until the decision is in state, and returns it. */
export function waitForDecision(h: Harness, decisionId: string, state: string, as?: Record<string, string>): Promise<DecisionBody> {
  return eventually(async () => {
    const { body } = await h.http('GET', `/v1/decisions/${decisionId}`, undefined, as);
    return body.state === state ? body : undefined;
  }, `decision ${decisionId} to be ${state}`);
}
