import { z } from 'zod';
import { Identifier } from '../definitions/schema';
import { Name, StoredString, Text, Timestamp } from './limits';
import { PageAfter, pageLimit } from './request-schemas';

/** Most samples one POST /v1/rollouts/:id/metrics may carry; larger batches are refused whole (413). */
export const SAMPLE_BATCH_LIMIT = 1000;

/** EvidenceId names a sample, recommendation or event: letters, digits, ".", "_", ":" and "-", at most 200. */
export const EvidenceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'must be 1–200 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');

/** Timestamp is an ISO 8601 date-time with a zone, e.g. 2025-03-01T08:00:00Z, years 1–9999 (api/limits.ts). */
export { Timestamp };

/** EvidenceScope says where something was observed; criteria of a scoped stage may read only matching evidence. */
export const EvidenceScope = z.strictObject({
  site: Identifier.optional(),
  line: Identifier.optional(),
  shift: Identifier.optional(),
  lane: Identifier.optional(),
  carrier: Identifier.optional(),
});
export type EvidenceScope = z.infer<typeof EvidenceScope>;

/** MetricSample is one observation of a metric. value must be a finite number: NaN, Infinity and strings are refused. */
export const MetricSample = z.strictObject({
  metric: StoredString(100).min(1),
  value: z.number(),
  observedAt: Timestamp,
  scope: EvidenceScope.optional(),
  /** sampleId makes a re-sent sample count once per rollout. */
  sampleId: EvidenceId.optional(),
});
export type MetricSample = z.infer<typeof MetricSample>;

/** MetricBatch is the body of POST /v1/rollouts/:id/metrics. */
export const MetricBatch = z.strictObject({
  samples: z.array(MetricSample).min(1, 'send at least one sample'),
});
export type MetricBatch = z.infer<typeof MetricBatch>;

/**
 * RecommendationBody is the body of POST /v1/rollouts/:id/recommendations: a concrete action
 * due by a time, e.g. "inspect bearing on unit 7 before the next scheduled downtime".
 */
export const RecommendationBody = z
  .strictObject({
    recommendationId: EvidenceId,
    stageId: Identifier.optional(),
    action: Text(2000),
    dueBy: Timestamp,
    /** confidence is the model's confidence, 0..1. */
    confidence: z.number().min(0).max(1).optional(),
    scope: EvidenceScope.optional(),
    /** issuedAt is when the model issued it; default when it arrives. */
    issuedAt: Timestamp.optional(),
    /** labelVersion is the label definition version the recommendation refers to. */
    labelVersion: Text(200).optional(),
  })
  .refine((body) => body.issuedAt === undefined || Date.parse(body.dueBy) > Date.parse(body.issuedAt), {
    path: ['dueBy'],
    message: 'must be later than issuedAt',
  });
export type RecommendationBody = z.infer<typeof RecommendationBody>;

/** OutcomeBody is the body of POST /v1/rollouts/:id/recommendations/:recId/outcome. */
export const OutcomeBody = z.strictObject({
  /** occurred is true when the problem the recommendation predicted was real. */
  occurred: z.boolean(),
  observedAt: Timestamp,
  detail: Text(4000).optional(),
  /** labelVersion is the label definition version the outcome was labelled under, for the labelDrift criterion. */
  labelVersion: Text(200).optional(),
});
export type OutcomeBody = z.infer<typeof OutcomeBody>;

/** FeedbackBody is the body of POST /v1/rollouts/:id/recommendations/:recId/feedback. */
export const FeedbackBody = z.strictObject({
  response: z.enum(['acted', 'deferred', 'dismissed', 'override']),
  /** by is the operator who responded; default the authenticated principal. */
  by: Text(200).optional(),
  reason: Text(4000).optional(),
  /** at is when they responded; default when it arrives. */
  at: Timestamp.optional(),
});
export type FeedbackBody = z.infer<typeof FeedbackBody>;

/** MissedEventBody is the body of POST /v1/rollouts/:id/missed-events: a real problem no recommendation flagged. */
export const MissedEventBody = z.strictObject({
  eventId: EvidenceId,
  observedAt: Timestamp,
  detail: Text(4000).optional(),
  scope: EvidenceScope.optional(),
});
export type MissedEventBody = z.infer<typeof MissedEventBody>;

/** EvidenceQuery filters and pages GET /v1/rollouts/:id/evidence. */
export const EvidenceQuery = z.strictObject({
  metric: Name.optional(),
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  after: PageAfter,
  limit: pageLimit(1000),
});
export type EvidenceQuery = z.infer<typeof EvidenceQuery>;

/** WindowQuery is the window of GET /v1/rollouts/:id/metrics/:metric: [from, to), to defaulting to now. */
export const WindowQuery = z.strictObject({
  from: Timestamp,
  to: Timestamp.optional(),
});
export type WindowQuery = z.infer<typeof WindowQuery>;
