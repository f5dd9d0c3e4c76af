/**
 * The plan format's public API: schema and types, durations, the stage graph, built-in
 * metrics, the cross-field checks, the lint rules, the loader and the digest.
 *
 * Workflow code must import definitions/graph and definitions/duration directly, never this
 * index: the loader pulls in yaml and the digest node:crypto, neither allowed in the sandbox.
 */
export { Approval, Duration, Plan, Stage } from './schema';
export { formatDuration, parseDuration } from './duration';
export {
  checkGraph,
  downstreamStages,
  readyStages,
  stageReach,
  topologicalOrder,
  upstreamStages,
  type GraphProblem,
  type GraphProblemKind,
  type GraphStage,
  type StageReach,
} from './graph';
export { BUILT_IN_METRICS, isBuiltInMetric, type BuiltInMetric, type BuiltInMetricName } from './built-in-metrics';
export { checkSemantics } from './semantics';
export { LINT_RULES, isLintRule, lintPlan, type LintRuleId, type LintWarning } from './lint';
export type { PlanProblem } from './problem';
export { MAX_ALIAS_COUNT, MAX_PLAN_BYTES, formatIssue, loadPlan, type LoadOptions, type LoadResult, type PlanIssue } from './load';
export { canonicalJson, planDigest } from './digest';
