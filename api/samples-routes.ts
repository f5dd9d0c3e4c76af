import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { BUILT_IN_METRICS, isBuiltInMetric } from '../definitions/built-in-metrics';
import type { Plan } from '../definitions/schema';
import { closestMatch } from '../definitions/suggest';
import { isDerivedMetric, windowObservations } from '../db/derived-metrics';
import { insertSamples, listSamples } from '../db/samples';
import { EvidenceQuery, MetricBatch, SAMPLE_BATCH_LIMIT, WindowQuery } from './evidence-schemas';
import { tellEvidenceArrived } from './evidence-signal';
import { catalogOf, EVIDENCE_BODY_LIMIT, invalidEvidence, reporter } from './evidence-reports';
import { jsonBody } from './json-body';
import { invalidQueryField, notFound, parseBody, parseQuery, Problem, ProblemType, type ProblemDetail } from './problem';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 * A rollout's metric samples, the evidence its criteria are judged on:
 *
 *   POST /v1/rollouts/:id/metrics                    report a batch of samples
 *   GET  /v1/rollouts/:id/evidence                   the stored samples, paged
 *   GET  /v1/rollouts/:id/metrics/:metric?from=&to=  one metric's observations over a window
 *
 * A sample must name a metric of the plan's catalog or a built-in one, and not one derived from
 * recommendations (recommendations-routes.ts takes those). Mounted on /v1/rollouts ahead of the
 * rollouts router; requests for other paths fall through. Stored samples are signalled to the
 * rollout (evidence-signal.ts), so that its running stages are evaluated soon.
 */
/**
 * FUTURE_SAMPLE_TOLERANCE_MS is how far ahead of the server's clock a sample's observedAt may be:
 * more is a reporter's clock gone wrong, refused with 422 rather than stored as evidence. Clock
 * skew within it is for the skew criterion to judge (policy/data-quality.ts).
 */
export const FUTURE_SAMPLE_TOLERANCE_MS = 60_000;

export function samplesRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = guardPathParameters(Router());

  router.post('/:id/metrics', jsonBody(EVIDENCE_BODY_LIMIT), async (req, res) => {
    const row = await requireRollout(pool, req);
    const samples = (req.body as { samples?: unknown } | undefined)?.samples;
    if (Array.isArray(samples) && samples.length > SAMPLE_BATCH_LIMIT) {
      const detail = `send at most ${SAMPLE_BATCH_LIMIT} samples per request; split the batch`;
      throw new Problem(413, ProblemType.payloadTooLarge, 'Too many samples', detail, [
        { path: 'samples', message: `has ${samples.length} samples; the limit is ${SAMPLE_BATCH_LIMIT}` },
      ]);
    }
    const batch = parseBody(MetricBatch, req.body);
    const catalog = await catalogOf(pool, row);
    const errors: ProblemDetail[] = [];
    const latest = Date.now() + FUTURE_SAMPLE_TOLERANCE_MS;
    batch.samples.forEach((sample, i) => {
      const problem = metricProblem(sample.metric, catalog);
      if (problem) errors.push({ path: `samples[${i}].metric`, message: problem });
      if (Date.parse(sample.observedAt) > latest) {
        errors.push({
          path: `samples[${i}].observedAt`,
          message: `${sample.observedAt} is more than ${FUTURE_SAMPLE_TOLERANCE_MS / 1000}s ahead of the server's clock (${new Date().toISOString()}): the reporter's clock is wrong`,
        });
      }
    });
    if (errors.length > 0) {
      const count = (field: string) => errors.filter((error) => error.path.endsWith(field)).length;
      const parts = [
        ...(count('.metric') > 0 ? [`${count('.metric')} of ${batch.samples.length} samples name metrics this rollout takes no samples of`] : []),
        ...(count('.observedAt') > 0 ? [`${count('.observedAt')} of ${batch.samples.length} samples are observed in the future`] : []),
      ];
      invalidEvidence(`${parts.join('; ')}; nothing was stored.`, errors);
    }
    const counts = await insertSamples(pool, row.rolloutId, batch.samples, reporter(req));
    if (counts.accepted > 0) tellEvidenceArrived(temporal, row);
    res.status(counts.accepted > 0 ? 201 : 200).json({ rolloutId: row.rolloutId, received: batch.samples.length, ...counts });
  });

  router.get('/:id/evidence', async (req, res) => {
    const row = await requireRollout(pool, req);
    const query = parseQuery(EvidenceQuery, req.query);
    const samples = await listSamples(pool, row.rolloutId, query);
    const last = samples[samples.length - 1];
    res.json({ rolloutId: row.rolloutId, samples, next: samples.length === query.limit && last ? last.seq : null });
  });

  router.get('/:id/metrics/:metric', async (req, res) => {
    const row = await requireRollout(pool, req);
    const query = parseQuery(WindowQuery, req.query);
    const catalog = await catalogOf(pool, row);
    const problem = knownMetricProblem(req.params.metric, catalog);
    if (problem) throw notFound(problem);
    const to = query.to === undefined ? new Date() : new Date(query.to);
    const from = new Date(query.from);
    if (from > to) throw invalidQueryField('from', 'must not be later than to');
    const observation = await windowObservations(pool, row.rolloutId, req.params.metric, from, to, catalog);
    res.json({ rolloutId: row.rolloutId, metric: req.params.metric, from: from.toISOString(), to: to.toISOString(), ...observation });
  });

  return router;
}

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
