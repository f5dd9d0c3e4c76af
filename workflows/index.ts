/** The workflow bundle's entry point: every workflow the worker registers. */
export { rolloutWorkflow, siteRunWorkflow } from './rollout/workflow';
export { deferredDecisionWorkflow } from './decision-workflow';
export { steadyStateWorkflow } from './steady-state-workflow';
