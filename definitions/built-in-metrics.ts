/**
 * Metrics every rollout records without a catalog entry: the first six come from the model's
 * recommendations, their outcomes and the operators' feedback on them; the last four from
 * decisions deferred to a human. A plan's `metrics` catalog may declare more.
 *
 * Pure: imported by the plan checks, which workflow code may use.
 */

export type BuiltInMetric = {
  readonly unit: string;
  readonly direction: 'higher-is-better' | 'lower-is-better';
  readonly description: string;
};

export const BUILT_IN_METRICS = {
  precision: {
    unit: 'ratio',
    direction: 'higher-is-better',
    description: 'Share of the recommendations flagged as positive that the outcome confirmed.',
  },
  recall: {
    unit: 'ratio',
    direction: 'higher-is-better',
    description: 'Share of the confirmed positive outcomes that the model had flagged.',
  },
  'false-positive-rate': {
    unit: 'ratio',
    direction: 'lower-is-better',
    description: 'Share of the negative outcomes that the model had flagged as positive.',
  },
  'acceptance-rate': {
    unit: 'ratio',
    direction: 'higher-is-better',
    description: 'Share of the recommendations that operators accepted as given.',
  },
  'override-rate': {
    unit: 'ratio',
    direction: 'lower-is-better',
    description: 'Share of the recommendations that operators overrode or dismissed.',
  },
  'time-to-action': {
    unit: 's',
    direction: 'lower-is-better',
    description: 'Median time from a recommendation to the operator acting on it.',
  },
  'deferral-rate': {
    unit: 'ratio',
    direction: 'lower-is-better',
    description: 'Share of the decisions deferred to a human because the model was not confident enough.',
  },
  'human-override-rate': {
    unit: 'ratio',
    direction: 'lower-is-better',
    description: 'Share of the deferred decisions where the human chose differently from the model.',
  },
  'auto-decision-accuracy': {
    unit: 'ratio',
    direction: 'higher-is-better',
    description: 'Share of the decisions taken without a human that the outcome confirmed.',
  },
  'decision-timeout-count': {
    unit: 'count',
    direction: 'lower-is-better',
    description: 'Number of deferred decisions nobody decided in time, so the safe default applied.',
  },
} as const satisfies Record<string, BuiltInMetric>;

export type BuiltInMetricName = keyof typeof BUILT_IN_METRICS;

/** isBuiltInMetric tells whether `name` is a built-in metric. */
export function isBuiltInMetric(name: string): name is BuiltInMetricName {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_METRICS, name);
}
