import { z } from 'zod';
import { Instant, NextPosition } from './common';

export const DecisionView = z
  .looseObject({
    decisionId: z.string(),
    rolloutId: z.string(),
    stageId: z.string(),
    stageMode: z.string(),
    planVersion: z.number().int(),
    kind: z.string(),
    confidence: z.number(),
    irreversible: z.boolean(),
    decideBy: Instant,
    recommendation: z.unknown(),
    disposition: z.enum(['auto', 'deferred', 'shadow']),
    threshold: z.number().nullable(),
    state: z.string(),
    requestedBy: z.string(),
    createdAt: Instant,
    deferTo: z.string().optional().meta({ description: 'the role a deferred decision waits for' }),
    safeDefault: z.string().optional(),
    taskUrl: z.string().optional().meta({ description: "the decision's API path" }),
  })
  .meta({ id: 'DecisionView' });

export const DecisionPage = z.object({ decisions: z.array(DecisionView), next: NextPosition }).meta({ id: 'DecisionPage' });

export const DecisionOutcomeStored = z
  .object({ decisionId: z.string(), outcome: z.looseObject({ correct: z.boolean(), observedAt: Instant, recordedBy: z.string(), recordedAt: Instant }) })
  .meta({ id: 'DecisionOutcomeStored' });

export const CalibrationProposal = z
  .looseObject({
    proposalId: z.string(),
    kind: z.string(),
    rolloutId: z.string(),
    stageId: z.string(),
    threshold: z.number().nullable(),
    previousThreshold: z.number().nullable(),
    state: z.string(),
    proposedBy: z.string(),
    proposedAt: Instant,
  })
  .meta({ id: 'CalibrationProposal' });

export const CalibrationList = z.object({ proposals: z.array(CalibrationProposal) }).meta({ id: 'CalibrationList' });

export const DecisionMetrics = z
  .object({ rolloutId: z.string(), stageId: z.string(), from: Instant, to: Instant, metrics: z.record(z.string(), z.unknown()) })
  .meta({ id: 'DecisionMetrics' });

/** DecisionSubmitted answers POST /v1/rollouts/:id/decisions: how the decision was disposed of, and where a deferred one waits. */
export const DecisionSubmitted = z
  .object({
    decisionId: z.string(),
    rolloutId: z.string(),
    stageId: z.string(),
    disposition: z.enum(['auto', 'deferred', 'shadow']),
    threshold: z.number().nullable(),
    decideBy: Instant,
    deferTo: z.string().optional(),
    taskUrl: z.string().optional(),
  })
  .meta({ id: 'DecisionSubmitted' });
