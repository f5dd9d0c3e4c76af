import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import type { z } from 'zod';
import { BUILT_IN_METRICS, isBuiltInMetric } from '../definitions/built-in-metrics';
import { canonicalJson } from '../definitions/digest';
import { formatPath } from '../definitions/format-path';
import type { Plan } from '../definitions/schema';
import { closestMatch } from '../definitions/suggest';
import {
  getRecommendation,
  insertFeedback,
  insertMissedEvent,
  insertOutcome,
  insertRecommendation,
  insertSamples,
  isDerivedMetric,
  latestEvaluations,
  listSamples,
  windowObservations,
  type EvidenceScope,
  type Reporter,
} from '../db/evidence';
import type { RolloutRow } from '../db/rollouts';
import { jsonBody } from './json-body';
import { planDefinition } from './plan-cache';
import { principalOf } from './auth';
import {
  EvidenceId,
  EvidenceQuery,
  FeedbackBody,
  MetricBatch,
  MissedEventBody,
  OutcomeBody,
  RecommendationBody,
  SAMPLE_BATCH_LIMIT,
  WindowQuery,
} from './evidence-schemas';
import { conflict, notFound, Problem, ProblemType, type ProblemDetail } from './problem';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/** Largest evidence request body: room for a full batch of samples with scopes and ids. */
const EVIDENCE_BODY_LIMIT = '1mb';

/**
 * evidenceRouter serves the evidence a rollout's criteria are judged on: metric samples, the
 * model's recommendations with their outcomes and operators' feedback, missed events, and the
 * stored evaluations. Any authenticated principal may report evidence (services do); each row
 * records who reported it. Bad input is refused whole with 4xx and nothing is stored.
 *
 * Mounted on /v1/rollouts ahead of the rollouts router; requests for other paths fall through.
 */
export function evidenceRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());
  const json = jsonBody(EVIDENCE_BODY_LIMIT);

  router.post('/:id/metrics', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const samples = (req.body as { samples?: unknown } | undefined)?.samples;
    if (Array.isArray(samples) && samples.length > SAMPLE_BATCH_LIMIT) {
      const detail = `send at most ${SAMPLE_BATCH_LIMIT} samples per request; split the batch`;
      throw new Problem(413, ProblemType.payloadTooLarge, 'Too many samples', detail, [
        { path: 'samples', message: `has ${samples.length} samples; the limit is ${SAMPLE_BATCH_LIMIT}` },
      ]);
    }
    const batch = parse(MetricBatch, req.body);
    const catalog = await catalogOf(pool, row);
    const errors: ProblemDetail[] = [];
    batch.samples.forEach((sample, i) => {
      const problem = metricProblem(sample.metric, catalog);
      if (problem) errors.push({ path: `samples[${i}].metric`, message: problem });
    });
    if (errors.length > 0) {
      invalid(`${errors.length} of ${batch.samples.length} samples name metrics this rollout takes no samples of; nothing was stored.`, errors);
    }
    const counts = await insertSamples(pool, row.rolloutId, batch.samples, reporter(req));
    res.status(counts.accepted > 0 ? 201 : 200).json({ rolloutId: row.rolloutId, received: batch.samples.length, ...counts });
  });

  router.get('/:id/evidence', async (req, res) => {
    const row = await requireRollout(pool, req);
    const query = parse(EvidenceQuery, req.query);
    const samples = await listSamples(pool, row.rolloutId, query);
    const last = samples[samples.length - 1];
    res.json({ rolloutId: row.rolloutId, samples, next: samples.length === query.limit && last ? last.seq : null });
  });

  router.get('/:id/metrics/:metric', async (req, res) => {
    const row = await requireRollout(pool, req);
    const query = parse(WindowQuery, req.query);
    const catalog = await catalogOf(pool, row);
    const problem = knownMetricProblem(req.params.metric, catalog);
    if (problem) throw notFound(problem);
    const to = query.to === undefined ? new Date() : new Date(query.to);
    const from = new Date(query.from);
    if (from > to) invalid('The window is empty.', [{ path: 'from', message: 'must not be later than to' }]);
    const observation = await windowObservations(pool, row.rolloutId, req.params.metric, from, to, catalog);
    res.json({ rolloutId: row.rolloutId, metric: req.params.metric, from: from.toISOString(), to: to.toISOString(), ...observation });
  });

  router.post('/:id/recommendations', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const body = parse(RecommendationBody, req.body);
    const plan = await planOf(pool, row);
    if (body.stageId !== undefined && !plan.stages.some((stage) => stage.id === body.stageId)) {
      const near = closestMatch(body.stageId, plan.stages.map((stage) => stage.id));
      invalid('The recommendation names a stage the plan does not have.', [
        { path: 'stageId', message: `unknown stage "${body.stageId}"${near ? ` (did you mean "${near}"?)` : ''}` },
      ]);
    }
    const issuedAt = body.issuedAt ?? new Date().toISOString();
    if (body.issuedAt === undefined && Date.parse(body.dueBy) <= Date.parse(issuedAt)) {
      invalid('The recommendation is already due.', [{ path: 'dueBy', message: 'must be later than issuedAt (now, as issuedAt was not given)' }]);
    }
    const { created, recommendation } = await insertRecommendation(pool, row.rolloutId, { ...body, issuedAt }, reporter(req));
    if (!created) {
      const same =
        recommendation.action === body.action &&
        recommendation.stageId === (body.stageId ?? null) &&
        sameInstant(recommendation.dueBy, body.dueBy) &&
        recommendation.confidence === (body.confidence ?? null) &&
        sameScope(recommendation.scope, body.scope) &&
        (body.issuedAt === undefined || sameInstant(recommendation.issuedAt, body.issuedAt));
      if (!same) throw conflict(`recommendation ${body.recommendationId} already exists with different content`, { recommendation });
    }
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, recommendation });
  });

  router.post('/:id/recommendations/:recId/outcome', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const recommendationId = await requireRecommendation(pool, row, req.params.recId);
    const body = parse(OutcomeBody, req.body);
    const { created, outcome } = await insertOutcome(pool, row.rolloutId, recommendationId, body, reporter(req));
    if (!created && !(outcome.occurred === body.occurred && sameInstant(outcome.observedAt, body.observedAt) && outcome.detail === (body.detail ?? null))) {
      throw conflict(`recommendation ${recommendationId} already has a different outcome`, { outcome });
    }
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, outcome });
  });

  router.post('/:id/recommendations/:recId/feedback', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const recommendationId = await requireRecommendation(pool, row, req.params.recId);
    const body = parse(FeedbackBody, req.body);
    const feedback = { ...body, by: body.by ?? principalOf(req).name, at: body.at ?? new Date().toISOString() };
    const result = await insertFeedback(pool, row.rolloutId, recommendationId, feedback, reporter(req));
    res.status(result.created ? 201 : 200).json({ rolloutId: row.rolloutId, ...result });
  });

  router.post('/:id/missed-events', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const body = parse(MissedEventBody, req.body);
    const { created, event } = await insertMissedEvent(pool, row.rolloutId, body, reporter(req));
    if (!created && !(sameInstant(event.observedAt, body.observedAt) && event.detail === (body.detail ?? null) && sameScope(event.scope, body.scope))) {
      throw conflict(`missed event ${body.eventId} already exists with different content`, { event });
    }
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, event });
  });

  router.get('/:id/evaluations', async (req, res) => {
    const row = await requireRollout(pool, req);
    res.json({ rolloutId: row.rolloutId, evaluations: await latestEvaluations(pool, row.rolloutId) });
  });

  return router;
}

/** parse validates with schema; failures become 422 with every error's path, e.g. `samples[3].value`. */
function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  return invalid(
    'The request does not match the expected shape; nothing was stored.',
    result.error.issues.map((issue) => ({ path: formatPath(issue.path) || '(body)', message: issue.message })),
  );
}

function invalid(detail: string, errors: ProblemDetail[]): never {
  throw new Problem(422, ProblemType.invalidRequest, 'Invalid evidence', detail, errors);
}

const reporter = (req: Request): Reporter => ({ reportedBy: principalOf(req).name, requestId: req.requestId });

async function planOf(pool: Pool, row: RolloutRow): Promise<Plan> {
  const plan = await planDefinition(pool, row.plan, row.version);
  if (!plan) throw new Error(`plan ${row.plan} version ${row.version} of rollout ${row.rolloutId} is missing`);
  return plan;
}

const catalogOf = async (pool: Pool, row: RolloutRow): Promise<Plan['metrics']> => (await planOf(pool, row)).metrics;

/** knownMetricProblem says why metric is neither in the catalog nor built in, or undefined when it is known. */
function knownMetricProblem(metric: string, catalog: Plan['metrics']): string | undefined {
  const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric);
  if (declared || isBuiltInMetric(metric)) return undefined;
  const names = [...Object.keys(catalog ?? {}), ...Object.keys(BUILT_IN_METRICS)];
  const near = closestMatch(metric, names);
  return `unknown metric "${metric}"${near ? ` (did you mean "${near}"?)` : ": declare it in the plan's metrics catalog"}`;
}

/** metricProblem says why a sample of metric cannot be stored: unknown, or derived from recommendations. */
function metricProblem(metric: string, catalog: Plan['metrics']): string | undefined {
  const unknown = knownMetricProblem(metric, catalog);
  if (unknown) return unknown;
  if (isDerivedMetric(metric, catalog)) {
    return `${metric} is derived from recommendations, their outcomes and operators' feedback; report those instead of samples`;
  }
  return undefined;
}

async function requireRecommendation(pool: Pool, row: RolloutRow, recId: string): Promise<string> {
  const id = EvidenceId.safeParse(recId);
  if (!id.success || !(await getRecommendation(pool, row.rolloutId, id.data))) {
    throw notFound(`rollout ${row.rolloutId} has no recommendation ${recId}`);
  }
  return id.data;
}

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

const sameScope = (stored: EvidenceScope, given: EvidenceScope | undefined) => canonicalJson(stored) === canonicalJson(given ?? {});
