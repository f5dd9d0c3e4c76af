import { z } from 'zod';
import { Instant, NextPosition } from './common';
import { StageEvaluation } from './rollouts';

const Scope = z.record(z.string(), z.string()).meta({ description: 'where the evidence applies: site, line, shift, lane, carrier' });

export const SamplesAccepted = z
  .object({
    rolloutId: z.string(),
    received: z.number().int(),
    accepted: z.number().int(),
    duplicates: z.number().int().meta({ description: 'samples whose sampleId was stored before' }),
  })
  .meta({ id: 'SamplesAccepted' });

export const StoredSample = z
  .object({
    seq: z.number().int(),
    metric: z.string(),
    value: z.number(),
    observedAt: Instant,
    scope: Scope,
    sampleId: z.string().nullable(),
    reportedBy: z.string(),
    recordedAt: Instant,
  })
  .meta({ id: 'StoredSample' });
export const SamplePage = z.object({ rolloutId: z.string(), samples: z.array(StoredSample), next: NextPosition }).meta({ id: 'SamplePage' });

export const MetricWindow = z
  .looseObject({ rolloutId: z.string(), metric: z.string(), from: Instant, to: Instant, value: z.number().nullable(), samples: z.number().int() })
  .meta({ id: 'MetricWindow', description: "a metric's value over a window, as the criteria see it" });

export const Recommendation = z
  .object({
    recommendationId: z.string(),
    stageId: z.string().nullable(),
    action: z.string(),
    dueBy: Instant,
    confidence: z.number().nullable(),
    scope: Scope,
    issuedAt: Instant,
    reportedBy: z.string(),
    recordedAt: Instant,
    labelVersion: z.string().optional().meta({ description: 'the label definition version the recommendation refers to, when given' }),
  })
  .meta({ id: 'Recommendation' });
export const RecommendationStored = z.object({ rolloutId: z.string(), created: z.boolean(), recommendation: Recommendation }).meta({ id: 'RecommendationStored' });

export const RecommendationOutcome = z
  .object({
    recommendationId: z.string(),
    occurred: z.boolean(),
    observedAt: Instant,
    detail: z.string().nullable(),
    reportedBy: z.string(),
    recordedAt: Instant,
    labelVersion: z.string().optional().meta({ description: 'the label definition version the outcome was labelled under, when given' }),
  })
  .meta({ id: 'RecommendationOutcome' });
export const OutcomeStored = z.object({ rolloutId: z.string(), created: z.boolean(), outcome: RecommendationOutcome }).meta({ id: 'OutcomeStored' });

export const FeedbackStored = z
  .object({
    rolloutId: z.string(),
    created: z.boolean(),
    feedback: z.object({
      seq: z.number().int(),
      recommendationId: z.string(),
      response: z.string(),
      by: z.string(),
      reason: z.string().nullable(),
      at: Instant,
      reportedBy: z.string(),
      recordedAt: Instant,
    }),
  })
  .meta({ id: 'FeedbackStored' });

export const MissedEventStored = z
  .object({
    rolloutId: z.string(),
    created: z.boolean(),
    event: z.object({ eventId: z.string(), observedAt: Instant, detail: z.string().nullable(), scope: Scope, reportedBy: z.string(), recordedAt: Instant }),
  })
  .meta({ id: 'MissedEventStored' });

export const EvaluationList = z
  .object({ rolloutId: z.string(), evaluations: z.array(StageEvaluation.extend({ stageId: z.string() }).loose()) })
  .meta({ id: 'EvaluationList', description: "each stage's latest stored evaluation" });
