import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes (Keyword) that make rollouts findable in the Temporal UI and `temporal workflow list`. */
export const RolloutPlanKey = defineSearchAttributeKey('RolloutPlan', SearchAttributeType.KEYWORD);
/** RolloutStage holds the active stage ids, comma-separated, or is absent when none is active. */
export const RolloutStageKey = defineSearchAttributeKey('RolloutStage', SearchAttributeType.KEYWORD);
export const RolloutStateKey = defineSearchAttributeKey('RolloutState', SearchAttributeType.KEYWORD);

export const ROLLOUT_SEARCH_ATTRIBUTES = [RolloutPlanKey, RolloutStageKey, RolloutStateKey] as const;
