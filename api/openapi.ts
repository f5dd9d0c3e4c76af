import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { Problem } from '../contract/common';
import {
  CalibrationList,
  CalibrationProposal,
  DecisionMetrics,
  DecisionOutcomeStored,
  DecisionPage,
  DecisionSubmitted,
  DecisionView,
} from '../contract/decisions';
import {
  EvaluationList,
  FeedbackStored,
  MetricWindow,
  MissedEventStored,
  OutcomeStored,
  RecommendationStored,
  SamplePage,
  SamplesAccepted,
} from '../contract/evidence';
import { Health } from '../contract/health';
import { InboxPage, InboxQuery } from '../contract/inbox';
import { PlanDiff, PlanList, PlanStored, PlanVersion, PlanVersions } from '../contract/plans';
import {
  AuditPage,
  OperatorActionResult,
  PrerequisiteSignedResult,
  RolloutList,
  RolloutStarted,
  RolloutView,
  StageActionResult,
} from '../contract/rollouts';
import { ModelVersionRecorded, ReviewSigned, SteadyStateStatus } from '../contract/steady-state';
import {
  CalibrationRequest,
  DecisionListQuery,
  DecisionMetricsQuery,
  DecisionRequest,
  OutcomeRequest,
  ProposalDecisionRequest,
  ResolutionRequest,
} from './decision-schemas';
import { EvidenceQuery, FeedbackBody, MetricBatch, MissedEventBody, OutcomeBody, RecommendationBody, WindowQuery } from './evidence-schemas';
import {
  IdempotencyKey,
  ListQuery,
  OperatorActionRequest,
  OverrideBody,
  PageQuery,
  StatusQuery,
  PrerequisiteSignOffBody,
  ResolutionBody,
  StageDecisionRequest,
  StartRolloutRequest,
} from './request-schemas';
import { ModelVersionBody, ReviewSignBody } from './steady-state-routes';
import { AuditQuery } from './system-audit';
import { OPENAPI_FILE } from './openapi-file';

/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod request schemas (api/) and
 * response schemas (contract/). `npm run openapi` writes it to api/openapi.json; a test fails
 * when the committed file differs from what this builds.
 */

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** Every operation may answer with a problem; these statuses are listed with each operation. */
const problems = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
  '404': { $ref: '#/components/responses/NotFound' },
  '422': { $ref: '#/components/responses/InvalidRequest' },
  '429': { $ref: '#/components/responses/TooManyRequests' },
  '503': { $ref: '#/components/responses/Unavailable' },
  default: { $ref: '#/components/responses/Problem' },
} as const;

const problemResponse = (description: string, headers?: z.ZodObject) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  ...(headers ? { headers } : {}),
});

const retryAfter = z.object({ 'Retry-After': z.string().meta({ description: 'seconds to wait before trying again' }) });

const RolloutPath = z.object({ id: z.string().meta({ description: 'the rollout id' }) });
const StagePath = RolloutPath.extend({ stageId: z.string().meta({ description: "a stage id of the rollout's plan" }) });
const PlanPath = z.object({ name: z.string().meta({ description: 'the plan name' }) });
const DecisionPath = z.object({ decisionId: z.string() });
const idempotent = { header: z.object({ 'idempotency-key': IdempotencyKey.optional().meta({ description: 'a retry with the same key counts once and gets the first answer' }) }) };

type Operation = Omit<ZodOpenApiOperationObject, 'responses'> & { responses: Record<string, unknown> };
const op = (tags: string[], summary: string, operation: Omit<Operation, 'tags' | 'summary'>): ZodOpenApiOperationObject =>
  ({ tags, summary, ...operation, responses: { ...operation.responses, ...problems } }) as ZodOpenApiOperationObject;

const paths: ZodOpenApiPathsObject = {
  '/healthz': {
    get: {
      tags: ['meta'],
      summary: 'Whether the API reaches PostgreSQL and Temporal',
      security: [],
      responses: { '200': json(Health, 'both answer'), '503': json(Health, 'one does not: `down` names it') },
    },
  },
  '/v1/openapi.json': {
    get: {
      tags: ['meta'],
      summary: 'This document',
      security: [],
      responses: { '200': { description: 'the OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/v1/schema/plan.json': {
    get: op(['plans'], 'The JSON Schema of plan files', { responses: { '200': { description: 'JSON Schema 2020-12', content: { 'application/schema+json': { schema: { type: 'object' } } } } } }),
  },
  '/v1/plans': {
    post: op(['plans'], 'Upload a plan version (YAML)', {
      requestBody: { content: { 'application/yaml': { schema: { type: 'string' } } } },
      responses: { '201': json(PlanStored, 'a new version was stored'), '200': json(PlanStored, 'an identical version existed'), '415': problems.default },
    }),
    get: op(['plans'], 'List plans with their latest versions', { responses: { '200': json(PlanList, 'the plans') } }),
  },
  '/v1/plans/{name}': { get: op(['plans'], "A plan's latest version", { requestParams: { path: PlanPath }, responses: { '200': json(PlanVersion, 'the latest version') } }) },
  '/v1/plans/{name}/versions': {
    get: op(['plans'], "A plan's versions", { requestParams: { path: PlanPath }, responses: { '200': json(PlanVersions, 'oldest first') } }),
  },
  '/v1/plans/{name}/versions/{version}': {
    get: op(['plans'], 'One plan version', {
      requestParams: { path: PlanPath.extend({ version: z.string().meta({ description: 'a version number' }) }) },
      responses: { '200': json(PlanVersion, 'the version') },
    }),
  },
  '/v1/plans/{name}/diff': {
    get: op(['plans'], 'What changed between two versions', {
      requestParams: { path: PlanPath, query: z.object({ from: z.string(), to: z.string() }) },
      responses: { '200': json(PlanDiff, 'the changes') },
    }),
  },
  '/v1/rollouts': {
    post: op(['rollouts'], 'Start a rollout of a plan version', {
      requestBody: { content: { 'application/json': { schema: StartRolloutRequest } } },
      responses: { '201': json(RolloutStarted, 'started'), '200': json(RolloutStarted, 'the rollout of this id existed'), '409': problems.default },
    }),
    get: op(['rollouts'], 'List rollouts, newest first', { requestParams: { query: ListQuery }, responses: { '200': json(RolloutList, 'the rollouts') } }),
  },
  '/v1/rollouts/{id}': {
    get: op(['rollouts'], 'A rollout: its state, prerequisites and stages', {
      requestParams: { path: RolloutPath, query: StatusQuery },
      responses: { '200': json(RolloutView, 'the rollout') },
    }),
  },
  '/v1/rollouts/{id}/events': {
    get: op(['rollouts'], "A rollout's audit trail, in order; as server-sent events with Accept: text/event-stream", {
      description:
        'With `Accept: application/json` (the default) a page of events. With `Accept: text/event-stream` the trail as server-sent events, from `after` (or the ' +
        '`Last-Event-ID` header of a client that reconnects) on, and then each new event as it is recorded, until the client disconnects: `id:` is the ' +
        "event's `seq`, `event:` its `type`, `data:` the event as a page lists it (AuditEvent). An idle stream sends a `: heartbeat` comment every 15 s.",
      requestParams: {
        path: RolloutPath,
        query: PageQuery,
        header: z.object({
          'last-event-id': z.string().optional().meta({ description: 'with text/event-stream: the stream starts after this seq (the `id:` of the last event received); it wins over `after`' }),
        }),
      },
      responses: {
        '200': {
          description: 'a page of events, or the event stream',
          content: {
            'application/json': { schema: AuditPage },
            'text/event-stream': {
              schema: z.string().meta({ description: 'server-sent events: `id: <seq>`, `event: <type>`, `data: <AuditEvent as JSON>`, a blank line; `: heartbeat` comments between' }),
            },
          },
        },
      },
    }),
  },
  ...Object.fromEntries(
    (['pause', 'resume', 'abort'] as const).map((action) => [
      `/v1/rollouts/{id}/${action}`,
      {
        post: op(['rollouts'], `${action[0]!.toUpperCase()}${action.slice(1)} the rollout`, {
          requestParams: { path: RolloutPath },
          requestBody: { required: false, content: { 'application/json': { schema: OperatorActionRequest } } },
          responses: { '200': json(OperatorActionResult, 'the rollout after the workflow applied it'), '409': problems.default },
        }),
      },
    ]),
  ),
  '/v1/rollouts/{id}/stages/{stageId}/approvals': {
    post: op(['sign-off'], 'Approve or reject a stage (or a site or wave of it)', {
      requestParams: { path: StagePath, ...idempotent },
      requestBody: { content: { 'application/json': { schema: StageDecisionRequest } } },
      responses: { '200': json(StageActionResult, 'the stage after the decision'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/overrides': {
    post: op(['sign-off'], 'Record a manual override of the model in a supervised stage', {
      requestParams: { path: StagePath, ...idempotent },
      requestBody: { content: { 'application/json': { schema: OverrideBody } } },
      responses: { '201': json(StageActionResult, 'recorded'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/resolution': {
    post: op(['sign-off'], 'Resolve a held stage: retry-window, rollback or abort', {
      requestParams: { path: StagePath, ...idempotent },
      requestBody: { content: { 'application/json': { schema: ResolutionBody } } },
      responses: { '200': json(StageActionResult, 'the stage after the resolution'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/prerequisites/{prerequisiteId}/sign-offs': {
    post: op(['sign-off'], 'Sign a readiness prerequisite off', {
      requestParams: { path: RolloutPath.extend({ prerequisiteId: z.string() }), ...idempotent },
      requestBody: { content: { 'application/json': { schema: PrerequisiteSignOffBody } } },
      responses: { '200': json(PrerequisiteSignedResult, 'signed'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/steady-state': {
    get: op(['steady-state'], "A steady-state stage's reviews", { requestParams: { path: StagePath }, responses: { '200': json(SteadyStateStatus, 'its status') } }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/reviews/{number}/sign': {
    post: op(['steady-state'], 'Sign a steady-state review', {
      requestParams: { path: StagePath.extend({ number: z.string() }), ...idempotent },
      requestBody: { content: { 'application/json': { schema: ReviewSignBody } } },
      responses: { '200': json(ReviewSigned, 'signed'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/model-versions': {
    post: op(['steady-state'], 'Record a model-version change', {
      requestParams: { path: StagePath, ...idempotent },
      requestBody: { content: { 'application/json': { schema: ModelVersionBody } } },
      responses: { '201': json(ModelVersionRecorded, 'recorded'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/metrics': {
    post: op(['evidence'], 'Report metric samples (at most 1000 a request)', {
      requestParams: { path: RolloutPath },
      requestBody: { content: { 'application/json': { schema: MetricBatch } } },
      responses: { '201': json(SamplesAccepted, 'stored'), '200': json(SamplesAccepted, 'all were duplicates'), '413': problems.default },
    }),
  },
  '/v1/rollouts/{id}/evidence': {
    get: op(['evidence'], 'Stored samples, in order', { requestParams: { path: RolloutPath, query: EvidenceQuery }, responses: { '200': json(SamplePage, 'a page of samples') } }),
  },
  '/v1/rollouts/{id}/metrics/{metric}': {
    get: op(['evidence'], "A metric's value over a window", {
      requestParams: { path: RolloutPath.extend({ metric: z.string() }), query: WindowQuery },
      responses: { '200': json(MetricWindow, 'the value') },
    }),
  },
  '/v1/rollouts/{id}/recommendations': {
    post: op(['evidence'], "Report a model's recommendation", {
      requestParams: { path: RolloutPath },
      requestBody: { content: { 'application/json': { schema: RecommendationBody } } },
      responses: { '201': json(RecommendationStored, 'stored'), '200': json(RecommendationStored, 'the same was stored before'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/recommendations/{recId}/outcome': {
    post: op(['evidence'], "Report a recommendation's outcome", {
      requestParams: { path: RolloutPath.extend({ recId: z.string() }) },
      requestBody: { content: { 'application/json': { schema: OutcomeBody } } },
      responses: { '201': json(OutcomeStored, 'stored'), '200': json(OutcomeStored, 'the same was stored before'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/recommendations/{recId}/feedback': {
    post: op(['evidence'], "Report an operator's response to a recommendation", {
      requestParams: { path: RolloutPath.extend({ recId: z.string() }) },
      requestBody: { content: { 'application/json': { schema: FeedbackBody } } },
      responses: { '201': json(FeedbackStored, 'stored'), '200': json(FeedbackStored, 'the same was stored before') },
    }),
  },
  '/v1/rollouts/{id}/missed-events': {
    post: op(['evidence'], 'Report a problem the model recommended nothing for', {
      requestParams: { path: RolloutPath },
      requestBody: { content: { 'application/json': { schema: MissedEventBody } } },
      responses: { '201': json(MissedEventStored, 'stored'), '200': json(MissedEventStored, 'the same was stored before'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/evaluations': {
    get: op(['evidence'], "Each stage's latest evaluation", { requestParams: { path: RolloutPath }, responses: { '200': json(EvaluationList, 'the evaluations') } }),
  },
  '/v1/rollouts/{id}/decisions': {
    post: op(['decisions'], 'Submit a decision: automatic, deferred to a person, or shadow', {
      requestParams: { path: RolloutPath },
      requestBody: { content: { 'application/json': { schema: DecisionRequest } } },
      responses: { '201': json(DecisionSubmitted, 'stored'), '200': json(DecisionSubmitted, 'the same was stored before'), '409': problems.default },
    }),
  },
  '/v1/decisions': {
    get: op(['decisions'], 'Decisions, e.g. the pending ones of a role', { requestParams: { query: DecisionListQuery }, responses: { '200': json(DecisionPage, 'a page') } }),
  },
  '/v1/decisions/{decisionId}': {
    get: op(['decisions'], 'One decision', { requestParams: { path: DecisionPath }, responses: { '200': json(DecisionView, 'the decision') } }),
  },
  '/v1/decisions/{decisionId}/resolution': {
    post: op(['decisions'], 'Accept, modify or reject a deferred decision', {
      requestParams: { path: DecisionPath },
      requestBody: { content: { 'application/json': { schema: ResolutionRequest } } },
      responses: { '200': json(DecisionView, 'resolved'), '409': problems.default },
    }),
  },
  '/v1/decisions/{decisionId}/outcome': {
    post: op(['decisions'], 'Whether the decision turned out right', {
      requestParams: { path: DecisionPath },
      requestBody: { content: { 'application/json': { schema: OutcomeRequest } } },
      responses: { '201': json(DecisionOutcomeStored, 'stored'), '200': json(DecisionOutcomeStored, 'the same was stored before'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/calibrations': {
    post: op(['decisions'], 'Propose a confidence threshold from outcomes', {
      requestParams: { path: StagePath },
      requestBody: { content: { 'application/json': { schema: CalibrationRequest } } },
      responses: { '201': json(CalibrationProposal, 'proposed'), '409': problems.default },
    }),
    get: op(['decisions'], "A stage's threshold proposals", { requestParams: { path: StagePath }, responses: { '200': json(CalibrationList, 'the proposals') } }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/calibrations/{proposalId}': {
    get: op(['decisions'], 'One threshold proposal', {
      requestParams: { path: StagePath.extend({ proposalId: z.string() }) },
      responses: { '200': json(CalibrationProposal, 'the proposal') },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/calibrations/{proposalId}/approvals': {
    post: op(['decisions'], 'Approve or reject a threshold proposal', {
      requestParams: { path: StagePath.extend({ proposalId: z.string() }) },
      requestBody: { content: { 'application/json': { schema: ProposalDecisionRequest } } },
      responses: { '200': json(CalibrationProposal, 'decided'), '409': problems.default },
    }),
  },
  '/v1/rollouts/{id}/stages/{stageId}/decision-metrics': {
    get: op(['decisions'], "A stage's decision metrics over a window", {
      requestParams: { path: StagePath, query: DecisionMetricsQuery },
      responses: { '200': json(DecisionMetrics, 'the metrics') },
    }),
  },
  '/v1/inbox': {
    get: op(['inbox'], 'What the caller may act on now', { requestParams: { query: InboxQuery }, responses: { '200': json(InboxPage, 'a page of items, oldest wait first') } }),
  },
  '/v1/audit': {
    get: op(['audit'], 'Events that belong to no rollout (admins)', { requestParams: { query: AuditQuery }, responses: { '200': json(AuditPage.omit({ events: true }).extend({ events: z.array(z.looseObject({ seq: z.number().int(), type: z.string() })) }), 'a page of events') } }),
  },
};

/** buildOpenApiDocument builds the document; it is pure, so the committed file can be compared with it. */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'rollgate',
      version: '1',
      description:
        'Rollout sequencing for industrial AI. Every /v1 path needs `Authorization: Bearer <token>` (made with `rollgate token create`), except this document. Errors are RFC 9457 problem details (application/problem+json). Lists are paged: pass a page\'s `next` as `after` for the next one.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token from `rollgate token create`' } },
      schemas: { Problem },
      responses: {
        Unauthorized: problemResponse('no valid bearer token', z.object({ 'WWW-Authenticate': z.string() })),
        Forbidden: problemResponse('the principal may not do this; the problem says which role it needs'),
        NotFound: problemResponse('no such resource; the detail suggests a near name where there is one'),
        InvalidRequest: problemResponse('the body or query is invalid; `errors[]` says where and why, and nothing was written'),
        TooManyRequests: problemResponse('over the request budget', retryAfter),
        Unavailable: problemResponse('a dependency (PostgreSQL, Temporal) is unavailable; retry after Retry-After', retryAfter),
        Problem: problemResponse('any other problem'),
      },
    },
  });
}


/** openApiText is the document as committed: two-space JSON and a final newline. */
export const openApiText = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

/** `tsx api/openapi.ts --write` regenerates api/openapi.json; `--check` fails when it is stale. */
function main(args: string[]): number {
  const shown = relative(process.cwd(), OPENAPI_FILE);
  const text = openApiText();
  if (args.includes('--write')) {
    writeFileSync(OPENAPI_FILE, text);
    console.log(`wrote ${shown}`);
    return 0;
  }
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (current === text) return 0;
    console.error(`${shown} is stale: run npm run openapi`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
