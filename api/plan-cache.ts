import type { Pool } from 'pg';
import { getPlanDefinition } from '../db/plans';
import { loadPlan, type PlanIssue } from '../definitions/load';
import type { Plan } from '../definitions/schema';
import { Problem, ProblemType } from './problem';

/** Most plan versions kept per pool; the oldest entry goes first. */
const MAX_CACHED_PLANS = 1_000;

const caches = new WeakMap<Pool, Map<string, Promise<Plan | undefined>>>();

/**
 * planDefinition is the plan of one stored version, read once per pool and then kept for good
 * (up to MAX_CACHED_PLANS versions): a plan version never changes, the database refuses UPDATE
 * and DELETE on plan_versions. A version not found, or a read that failed, is not kept, so the
 * next call asks again.
 */
export function planDefinition(pool: Pool, name: string, version: number): Promise<Plan | undefined> {
  const plans = plansOf(pool);
  const key = `${name}@${version}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const plan = getPlanDefinition(pool, name, version);
  remember(plans, key, plan, MAX_CACHED_PLANS);
  const forget = () => {
    if (plans.get(key) === plan) plans.delete(key);
  };
  plan.then((found) => (found ? undefined : forget()), forget);
  return plan;
}

function plansOf(pool: Pool): Map<string, Promise<Plan | undefined>> {
  let plans = caches.get(pool);
  if (!plans) {
    plans = new Map();
    caches.set(pool, plans);
  }
  return plans;
}

/** remember stores value under key as the newest entry of map, dropping the oldest beyond max entries. */
export function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

const checkedSources = new Map<string, PlanIssue[]>();

/**
 * refuseIfNoLongerValid checks a stored plan version against today's plan rules before a
 * rollout of it starts: a version accepted before a rule was added (a bound on durations, say)
 * may hold a value the engine cannot run. Such a version is refused with 422 and its errors, at
 * their lines and columns in the stored source. A version's verdict is kept, as its source never
 * changes (up to MAX_CACHED_PLANS versions).
 */
export function refuseIfNoLongerValid(version: { name: string; version: number; digest: string; source: string }): void {
  const key = `${version.name}@${version.version}:${version.digest}`;
  let errors = checkedSources.get(key);
  if (errors === undefined) {
    const result = loadPlan(version.source, { file: 'plan.yaml' });
    errors = result.ok ? [] : result.errors;
    remember(checkedSources, key, errors, MAX_CACHED_PLANS);
  }
  if (errors.length === 0) return;
  throw new Problem(
    422,
    ProblemType.invalidPlan,
    'Plan version no longer valid',
    `plan ${version.name} version ${version.version} was stored before a rule it breaks; upload a corrected version: ${errors[0]!.message}`,
    errors.map(({ line, column, path, message }) => ({ line, column, path, message })),
  );
}
