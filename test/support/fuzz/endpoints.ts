import fc from 'fast-check';
import { z } from 'zod';
import { CalibrationRequest, DecisionListQuery, DecisionMetricsQuery, DecisionRequest, OutcomeRequest, ProposalDecisionRequest, ResolutionRequest } from '../../../api/decision-schemas';
import { EvidenceQuery, FeedbackBody, MetricBatch, MissedEventBody, OutcomeBody, RecommendationBody, WindowQuery } from '../../../api/evidence-schemas';
import {
  ListQuery,
  PageQuery,
  OperatorActionRequest,
  OverrideBody,
  PrerequisiteSignOffBody,
  ResolutionBody,
  StageDecisionRequest,
  StartRolloutRequest,
} from '../../../api/request-schemas';
import { ModelVersionBody, ReviewSignBody } from '../../../api/steady-state-routes';
import { AuditQuery } from '../../../api/system-audit';
import type { Hints, JsonSchema } from './schema-values';

/**
 * The REST API as the fuzz suite sees it: every endpoint of the README's table, with the zod
 * schema of its JSON body or query string, and the real resources its path parameters name
 * (Fixture), so that a bad input meets the validators of a rollout, stage or decision that exists.
 */

/** Fixture names the resources the suite creates before it starts. */
export interface Fixture {
  plan: string;
  version: string;
  rolloutId: string;
  stageId: string;
  prerequisiteId: string;
  metric: string;
  recommendationId: string;
  pendingDecision: string;
  autoDecision: string;
  proposalId: string;
  review: string;
}

export interface Endpoint {
  method: 'GET' | 'POST';
  /** route is the README's path, `:name` marking a path parameter. */
  route: string;
  /** body is the JSON body's request schema. */
  body?: z.ZodType;
  /** yaml: the body is a plan in YAML (POST /v1/plans). */
  yaml?: boolean;
  /** query is the query string's schema, as JSON Schema. */
  query?: JsonSchema;
  /** idempotencyKey: the endpoint takes an Idempotency-Key header. */
  idempotencyKey?: boolean;
  /** open: no token needed. */
  open?: boolean;
  /** hints pick realistic valid values at some body paths, so a single bad field meets the deeper checks. */
  hints?: (fixture: Fixture) => Hints;
}

/** jsonSchemaOf is the JSON Schema of what a request schema takes (its input: a field with a default is optional). */
export const jsonSchemaOf = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

const positiveVersions: JsonSchema = {
  type: 'object',
  properties: { from: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 }, to: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 } },
  required: ['from', 'to'],
};

const stageOf = (f: Fixture) => ({ stageId: fc.constant(f.stageId) });
/** A decision names its deadline: the fixture's stage sets no decisionDeadline. */
const decisionOf = (f: Fixture): Hints => ({
  ...stageOf(f),
  decideBy: fc.date({ min: new Date('2031-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
});
const metricOf = (f: Fixture): Hints => ({ 'samples.*.metric': fc.constant(f.metric) });

export const ENDPOINTS: Endpoint[] = [
  { method: 'GET', route: '/healthz', open: true },
  { method: 'POST', route: '/v1/plans', yaml: true },
  { method: 'GET', route: '/v1/plans' },
  { method: 'GET', route: '/v1/plans/:name' },
  { method: 'GET', route: '/v1/plans/:name/versions' },
  { method: 'GET', route: '/v1/plans/:name/diff', query: positiveVersions },
  { method: 'GET', route: '/v1/plans/:name/versions/:version' },
  { method: 'GET', route: '/v1/schema/plan.json' },
  { method: 'POST', route: '/v1/rollouts', body: StartRolloutRequest, hints: (f) => ({ plan: fc.constant(f.plan) }) },
  { method: 'GET', route: '/v1/rollouts', query: jsonSchemaOf(ListQuery) },
  { method: 'GET', route: '/v1/rollouts/:id' },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/approvals', body: StageDecisionRequest, idempotencyKey: true },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/overrides', body: OverrideBody, idempotencyKey: true },
  { method: 'POST', route: '/v1/rollouts/:id/pause', body: OperatorActionRequest },
  { method: 'POST', route: '/v1/rollouts/:id/resume', body: OperatorActionRequest },
  { method: 'POST', route: '/v1/rollouts/:id/abort', body: OperatorActionRequest },
  { method: 'GET', route: '/v1/rollouts/:id/events', query: jsonSchemaOf(PageQuery) },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/resolution', body: ResolutionBody, idempotencyKey: true },
  { method: 'GET', route: '/v1/rollouts/:id/stages/:stageId/steady-state' },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/reviews/:number/sign', body: ReviewSignBody, idempotencyKey: true },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/model-versions', body: ModelVersionBody, idempotencyKey: true },
  { method: 'POST', route: '/v1/rollouts/:id/prerequisites/:prerequisiteId/sign-offs', body: PrerequisiteSignOffBody, idempotencyKey: true },
  { method: 'POST', route: '/v1/rollouts/:id/metrics', body: MetricBatch, hints: metricOf },
  { method: 'POST', route: '/v1/rollouts/:id/recommendations', body: RecommendationBody, hints: stageOf },
  { method: 'POST', route: '/v1/rollouts/:id/recommendations/:recId/outcome', body: OutcomeBody },
  { method: 'POST', route: '/v1/rollouts/:id/recommendations/:recId/feedback', body: FeedbackBody },
  { method: 'POST', route: '/v1/rollouts/:id/missed-events', body: MissedEventBody },
  { method: 'GET', route: '/v1/rollouts/:id/evidence', query: jsonSchemaOf(EvidenceQuery) },
  { method: 'GET', route: '/v1/rollouts/:id/metrics/:metric', query: jsonSchemaOf(WindowQuery) },
  { method: 'GET', route: '/v1/rollouts/:id/evaluations' },
  { method: 'POST', route: '/v1/rollouts/:id/decisions', body: DecisionRequest, hints: decisionOf },
  { method: 'GET', route: '/v1/decisions', query: jsonSchemaOf(DecisionListQuery) },
  { method: 'GET', route: '/v1/decisions/:decisionId' },
  { method: 'POST', route: '/v1/decisions/:decisionId/resolution', body: ResolutionRequest },
  { method: 'POST', route: '/v1/decisions/:decisionId/outcome', body: OutcomeRequest },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/calibrations', body: CalibrationRequest },
  { method: 'POST', route: '/v1/rollouts/:id/stages/:stageId/calibrations/:proposalId/approvals', body: ProposalDecisionRequest },
  { method: 'GET', route: '/v1/rollouts/:id/stages/:stageId/calibrations' },
  { method: 'GET', route: '/v1/rollouts/:id/stages/:stageId/calibrations/:proposalId' },
  { method: 'GET', route: '/v1/rollouts/:id/stages/:stageId/decision-metrics', query: jsonSchemaOf(DecisionMetricsQuery) },
  { method: 'GET', route: '/v1/audit', query: jsonSchemaOf(AuditQuery) },
];

/** realParams are the values of an endpoint's path parameters that name the fixture's resources. */
export function realParams(endpoint: Endpoint, f: Fixture): Record<string, string> {
  const decisionId = endpoint.route.endsWith('/outcome') && endpoint.route.startsWith('/v1/decisions') ? f.autoDecision : f.pendingDecision;
  const known: Record<string, string> = {
    name: f.plan,
    version: f.version,
    id: f.rolloutId,
    stageId: f.stageId,
    number: f.review,
    prerequisiteId: f.prerequisiteId,
    recId: f.recommendationId,
    metric: f.metric,
    decisionId,
    proposalId: f.proposalId,
  };
  const params: Record<string, string> = {};
  for (const [, name] of endpoint.route.matchAll(/:([A-Za-z]+)/g)) params[name!] = encodeURIComponent(known[name!]!);
  return params;
}

/** fillRoute puts raw (already percent-encoded) parameter values into the route. */
export const fillRoute = (route: string, params: Record<string, string>) => route.replace(/:([A-Za-z]+)/g, (_, name: string) => params[name]!);
