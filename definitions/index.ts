/**
 * The plan format's public API: schema and types, durations, the stage graph, the loader and
 * the digest.
 *
 * Workflow code must import definitions/graph and definitions/duration directly, never this
 * index: the loader pulls in yaml and the digest node:crypto, neither allowed in the sandbox.
 */
export { Approval, Duration, Plan, Stage } from './schema';
export { formatDuration, parseDuration } from './duration';
export { checkGraph, readyStages, topologicalOrder, type GraphProblem, type GraphProblemKind, type GraphStage } from './graph';
export { MAX_ALIAS_COUNT, MAX_PLAN_BYTES, formatIssue, loadPlan, type LoadOptions, type LoadResult, type PlanIssue } from './load';
export { canonicalJson, planDigest } from './digest';
