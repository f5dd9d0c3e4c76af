import type { Pool } from 'pg';
import { getPlanDefinition } from '../db/plans';
import type { Plan } from '../definitions/schema';

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
