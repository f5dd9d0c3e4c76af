import type { Request } from 'express';
import type { Pool } from 'pg';
import { canonicalJson } from '../definitions/digest';
import type { Plan } from '../definitions/schema';
import type { EvidenceScope, Reporter } from '../db/evidence';
import type { RolloutRow } from '../db/rollouts';
import { principalOf } from './auth';
import { planDefinition } from './plan-cache';
import { Problem, ProblemType, type ProblemDetail } from './problem';

/**
 * What the evidence routes (samples, recommendations, missed events, evaluations) share: who
 * reports, the rollout's plan, and how a repeated report is told from a conflicting one. Any
 * authenticated principal may report evidence (services do); each row records who reported it.
 * Bad input is refused whole with 4xx and nothing is stored.
 */

/** Largest evidence request body: room for a full batch of samples with scopes and ids. */
export const EVIDENCE_BODY_LIMIT = '1mb';

/** invalidEvidence throws the 422 for evidence that is well formed but cannot be stored. */
export function invalidEvidence(detail: string, errors: ProblemDetail[]): never {
  throw new Problem(422, ProblemType.invalidRequest, 'Invalid evidence', detail, errors);
}

/** reporter is who reports evidence with req, and the request it came with. */
export const reporter = (req: Request): Reporter => ({ reportedBy: principalOf(req).name, requestId: req.requestId });

/** planOf is the plan of the rollout's version; a rollout whose plan is missing is a server fault. */
export async function planOf(pool: Pool, row: RolloutRow): Promise<Plan> {
  const plan = await planDefinition(pool, row.plan, row.version);
  if (!plan) throw new Error(`plan ${row.plan} version ${row.version} of rollout ${row.rolloutId} is missing`);
  return plan;
}

/** catalogOf is the metrics catalog of the rollout's plan. */
export const catalogOf = async (pool: Pool, row: RolloutRow): Promise<Plan['metrics']> => (await planOf(pool, row)).metrics;

/** sameInstant: two ISO 8601 times name the same instant, whatever their offsets. */
export const sameInstant = (a: string, b: string): boolean => Date.parse(a) === Date.parse(b);

/** sameScope: a stored scope equals the one given (none given is the empty scope). */
export const sameScope = (stored: EvidenceScope, given: EvidenceScope | undefined): boolean => canonicalJson(stored) === canonicalJson(given ?? {});
