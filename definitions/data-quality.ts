import type { Criterion } from './schema';

/**
 * Data-quality checks of a criterion (docs/plan-format.md, Data quality): instead of comparing
 * a metric's value with a threshold, such a criterion judges the evidence behind it. Pure.
 */
export const DATA_QUALITY_CHECKS = ['freshness', 'completeness', 'skew', 'labelDrift'] as const;
export type DataQualityCheck = (typeof DATA_QUALITY_CHECKS)[number];

/** dataQualityChecks lists the checks a criterion gives, in DATA_QUALITY_CHECKS order (a valid plan gives at most one). */
export function dataQualityChecks(criterion: Criterion): DataQualityCheck[] {
  return DATA_QUALITY_CHECKS.filter((check) => criterion[check] !== undefined);
}

/** LABELLED_METRICS are the built-in metrics that rest on recommendations' outcomes and feedback. */
export const LABELLED_METRICS: ReadonlySet<string> = new Set(['precision', 'recall', 'false-positive-rate', 'acceptance-rate', 'override-rate', 'time-to-action']);

/** dataQualityCheck is the criterion's check, or undefined for a criterion on the metric's value. */
export function dataQualityCheck(criterion: Criterion): DataQualityCheck | undefined {
  return dataQualityChecks(criterion)[0];
}
