import type { Pool } from 'pg';
import type { Plan, Stage } from '../definitions/schema';
import { loadRolloutContext, type RolloutContext, type SafeDefault } from '../db/decisions';
import { planDefinition, remember } from './plan-cache';
import { conflict, invalidField, type Problem } from './problem';

/**
 * Where a submitted decision goes: the rollout's active stages (cached), the deciding stage,
 * the role it is deferred to and the safe default. A rollout's plan version never changes, so
 * its plan is cached for good (api/plan-cache.ts); its active stages are cached too, and the
 * insert itself checks that they are still current (db/decision-writer.ts), so the cache needs
 * no expiry: a stale entry costs one retry with a fresh read.
 */

/** Bound of the in-memory cache of rollouts; the oldest entry goes first. */
const MAX_CACHED_ROLLOUTS = 10_000;

/** DecisionContext is what a decision submission needs to know of its rollout. */
export interface DecisionContext extends RolloutContext {
  rolloutId: string;
  plan: Plan;
}

/** ContextCache holds each rollout's last seen active stages, with its plan. */
export class ContextCache {
  private readonly rollouts = new Map<string, DecisionContext>();

  constructor(private readonly pool: Pool) {}

  /** rollout is the rollout's context, read afresh when fresh is true; undefined when there is no such rollout. */
  async rollout(rolloutId: string, fresh: boolean): Promise<DecisionContext | undefined> {
    const cached = fresh ? undefined : this.rollouts.get(rolloutId);
    if (cached) return cached;
    const loaded = await loadRolloutContext(this.pool, rolloutId);
    const plan = loaded && (await planDefinition(this.pool, loaded.planName, loaded.planVersion));
    if (!loaded || !plan) {
      this.rollouts.delete(rolloutId);
      return undefined;
    }
    const context = { ...loaded, rolloutId, plan };
    remember(this.rollouts, rolloutId, context, MAX_CACHED_ROLLOUTS);
    return context;
  }
}

/**
 * decidingStage picks the stage a decision belongs to, or says why none does: the requested
 * stage when given (422 when the plan has none, 409 when it is not under way); else, of the
 * active stages, those with a deferral policy if any, and of them the latest started (plan
 * order breaks a tie).
 */
export function decidingStage(context: DecisionContext, requested: string | undefined): Stage | Problem {
  const active = context.plan.stages.filter((stage) => context.activeStages.includes(stage.id));
  if (requested !== undefined) {
    if (!context.plan.stages.some((stage) => stage.id === requested)) return invalidField('stageId', `the plan has no stage ${requested}`);
    const stage = active.find((candidate) => candidate.id === requested);
    if (stage) return stage;
    return conflict(`stage ${requested} is not accepting decisions: it is not under way`, { reason: 'StageNotActive', activeStages: context.activeStages });
  }
  if (active.length === 0) {
    return conflict(`no stage is accepting decisions: rollout ${context.rolloutId} has no stage under way`, {
      reason: 'NoActiveStage',
      activeStages: [],
    });
  }
  const candidates = active.some((stage) => stage.deferral) ? active.filter((stage) => stage.deferral) : active;
  return candidates.reduce((latest, stage) => ((context.startedAt[stage.id] ?? '') >= (context.startedAt[latest.id] ?? '') ? stage : latest));
}

/** deferralTarget is the role a stage's deferred decisions go to: deferral.deferTo, else overrideAuthority, else the first approval role. */
export const deferralTarget = (stage: Stage): string => stage.deferral?.deferTo ?? stage.overrideAuthority ?? stage.approvals[0]!.role;

/** safeDefaultFor is the stage's safe default, never execute for an irreversible decision. */
export function safeDefaultFor(stage: Stage, irreversible: boolean): SafeDefault {
  const planned = stage.deferral?.safeDefault ?? 'hold';
  return irreversible && planned === 'execute' ? 'hold' : planned;
}
