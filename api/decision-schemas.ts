import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Identifier } from '../definitions/schema';
import { JsonPayload, Name, OptionalText, Timestamp } from './limits';
import { PageAfter, pageLimit } from './request-schemas';

/**
 * Request bodies of the decision endpoints. z.number() refuses NaN and ±Infinity, so neither a
 * string such as "NaN" nor a literal like 1e999 (Infinity once parsed) gets through.
 */

/** DecisionId: letters, digits, ".", "_", ":" and "-"; at most 200 characters. Unique across rollouts. */
const DecisionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'must be letters, digits, ".", "_", ":" or "-" (at most 200), starting with a letter or digit');

/** A 0..1 probability. */
export const Confidence = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** Timestamp: ISO 8601 date and time with a zone (Z or an offset), years 1–9999 (api/limits.ts). */
export { Timestamp };

/** DecisionRequest is the body of POST /v1/rollouts/:id/decisions. */
export const DecisionRequest = z.strictObject({
  decisionId: DecisionId,
  /** kind names what is decided, e.g. carrier-selection. */
  kind: Identifier,
  confidence: Confidence,
  /** irreversible: the decision cannot be undone once executed. The stage's deferral may say so too. */
  irreversible: z.boolean().default(false),
  /** decideBy: after it the decision is moot. Optional only where the stage's deferral has a decisionDeadline. */
  decideBy: Timestamp.optional(),
  /** recommendation is the model's proposal, opaque to rollgate. */
  recommendation: JsonPayload,
  /** stageId picks one of several active stages; default the one with a deferral policy, else the latest started. */
  stageId: Identifier.optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

/** ResolutionRequest is the body of POST /v1/decisions/:decisionId/resolution. */
export const ResolutionRequest = z
  .strictObject({
    resolution: z.enum(['accept', 'modify', 'reject']),
    /** payload is the changed decision; required with modify, and only there. */
    payload: JsonPayload.optional(),
    reason: OptionalText(4000).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.resolution === 'modify' && body.payload === undefined) {
      ctx.addIssue({ code: 'custom', path: ['payload'], message: 'modify needs the changed decision in payload' });
    }
    if (body.resolution !== 'modify' && body.payload !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['payload'], message: `${body.resolution} takes no payload; use modify to change the decision` });
    }
    if (body.resolution !== 'accept' && !body.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `${body.resolution} needs a reason` });
    }
  });
export type ResolutionRequest = z.infer<typeof ResolutionRequest>;

/** OutcomeRequest is the body of POST /v1/decisions/:decisionId/outcome. */
export const OutcomeRequest = z.strictObject({
  /** correct: the decision, as executed, turned out right. */
  correct: z.boolean(),
  observedAt: Timestamp,
  detail: JsonPayload.optional(),
});
export type OutcomeRequest = z.infer<typeof OutcomeRequest>;

/** Default least number of outcomes a calibration needs. */
const DEFAULT_MIN_OUTCOMES = 50;

/** CalibrationRequest is the body of POST /v1/rollouts/:id/stages/:stageId/calibrations. */
export const CalibrationRequest = z.strictObject({
  /** targetPrecision: the least share of correct automatic decisions, in (0, 1]. */
  targetPrecision: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
  minOutcomes: z.number().int().min(1).max(1_000_000).default(DEFAULT_MIN_OUTCOMES),
  /** dataFrom: the stage whose outcomes to calibrate from; default the stage itself. */
  dataFrom: Identifier.optional(),
  /** allowPilotData lets pilot-stage outcomes calibrate a supervised or autonomous stage. */
  allowPilotData: z.boolean().default(false),
});
export type CalibrationRequest = z.infer<typeof CalibrationRequest>;

/** ProposalDecisionRequest is the body of POST …/calibrations/:proposalId/approvals. */
export const ProposalDecisionRequest = z
  .strictObject({
    decision: z.enum(['approve', 'reject']).default('approve'),
    comment: OptionalText(4000).optional(),
  })
  .refine((body) => body.decision !== 'reject' || Boolean(body.comment), { path: ['comment'], message: 'a rejection needs a reason in comment' });
export type ProposalDecisionRequest = z.infer<typeof ProposalDecisionRequest>;

/** DecisionListQuery filters GET /v1/decisions. */
export const DecisionListQuery = z.strictObject({
  state: z.enum(['auto', 'shadow', 'pending', 'resolved', 'timed-out']).optional(),
  role: Name.optional(),
  rolloutId: Name.optional(),
  stageId: Name.optional(),
  limit: pageLimit(500),
  after: PageAfter,
});
export type DecisionListQuery = z.infer<typeof DecisionListQuery>;

/** DecisionMetricsQuery is the window of GET …/stages/:stageId/decision-metrics: [from, to), to defaulting to now. */
export const DecisionMetricsQuery = z.strictObject({
  from: Timestamp,
  to: Timestamp.optional(),
});
export type DecisionMetricsQuery = z.infer<typeof DecisionMetricsQuery>;

/** canonicalJson writes a value as JSON with object keys sorted, so equal content gives equal text. */
export { canonicalJson } from '../definitions/digest';

/**
 * decisionDigest identifies a decision request's content: a repeat with the same decisionId is
 * the same decision only when its digest matches. decideBy counts as an instant (any zone).
 */
export function decisionDigest(rolloutId: string, body: DecisionRequest, recommendationJson: string): string {
  const content = [
    rolloutId,
    body.kind,
    body.confidence,
    body.irreversible,
    body.decideBy === undefined ? null : Date.parse(body.decideBy),
    body.stageId ?? null,
  ];
  // 128 bits: it is only ever compared with the stored digest of the same decisionId.
  return createHash('sha256').update(JSON.stringify(content)).update('\n').update(recommendationJson).digest().subarray(0, 16).toString('base64url');
}
