import type { Criterion } from './schema';

/**
 * Data-quality checks of a criterion (docs/plan-format.md, Data quality): instead of comparing
 * a metric's value with a threshold, such a criterion judges the evidence behind it. Pure.
 */
export const DATA_QUALITY_CHECKS = ['freshness', 'completeness', 'skew'] as const;
export type DataQualityCheck = (typeof DATA_QUALITY_CHECKS)[number];

/** dataQualityChecks lists the checks a criterion gives, in DATA_QUALITY_CHECKS order (a valid plan gives at most one). */
export function dataQualityChecks(criterion: Criterion): DataQualityCheck[] {
  return DATA_QUALITY_CHECKS.filter((check) => criterion[check] !== undefined);
}

/** dataQualityCheck is the criterion's check, or undefined for a criterion on the metric's value. */
export function dataQualityCheck(criterion: Criterion): DataQualityCheck | undefined {
  return dataQualityChecks(criterion)[0];
}
