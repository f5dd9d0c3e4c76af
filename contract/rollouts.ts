import { z } from 'zod';
import { Instant, NextPosition, SignOff } from './common';

/**
 * RolloutState is a rollout's state as the API reports it: the workflow's lifecycle (running,
 * paused, held, completed, aborted) and the registry's own (starting: registered, its workflow
 * not confirmed yet; not-started: its workflow never started; terminated: ended from outside).
 */
export const ROLLOUT_STATES = ['starting', 'not-started', 'running', 'paused', 'held', 'completed', 'aborted', 'terminated'] as const;
export const RolloutState = z.enum(ROLLOUT_STATES).meta({ id: 'RolloutState' });
export type RolloutState = z.infer<typeof RolloutState>;

export const StageState = z.enum(['pending', 'running', 'awaiting-approval', 'held', 'passed', 'aborted']).meta({ id: 'StageState' });
export const Verdict = z.enum(['pass', 'fail', 'inconclusive']).meta({ id: 'Verdict' });
const Window = z.object({ from: z.string(), to: z.string() }).meta({ description: 'the evidence window: from <= t < to' });
const Observation = z.object({ value: z.number().nullable(), samples: z.number().int() });

/** PulledEvidence is what a pulled metric's verdict rested on: the provider's answer to the query as run. */
export const PulledEvidence = z
  .object({
    part: z.enum(['window', 'baseline']).meta({ description: "which of the criterion's windows the query read" }),
    provider: z.string().meta({ description: 'the metric provider queried, by name' }),
    query: z.string().meta({ description: 'the query as sent, after substitution' }),
    parameters: z.unknown().meta({ description: 'the bound parameters sent with it' }),
    value: z.number().nullable(),
    samples: z.number().int().nullable().meta({ description: "the provider's own sample count, where it gives one" }),
    observedAt: z.string().nullable().meta({ description: 'the time of the newest data behind the value, where the provider gives one' }),
    answerSha256: z.string().nullable().meta({ description: 'SHA-256 (hex) of the raw answer' }),
    error: z.string().nullable().meta({ description: 'why no value came back (error, timeout, 5xx): the criterion was inconclusive' }),
    pulledAt: Instant,
  })
  .meta({ id: 'PulledEvidence' });

/** ComparisonStatistics is a comparison criterion's test, as policy/comparison.ts reports it. */
export const ComparisonStatistics = z
  .object({
    test: z.enum(['sequential', 'mann-whitney']),
    against: z.enum(['baseline', 'control']),
    direction: z.enum(['must-not-degrade', 'must-improve']),
    alpha: z.number(),
    estimate: z.number().nullable().meta({ description: 'treatment − reference: the difference of means, or the Hodges–Lehmann shift for mann-whitney' }),
    lower: z.number().nullable().meta({ description: 'the interval for the difference at 1 − alpha; always valid for sequential' }),
    upper: z.number().nullable(),
    margin: z.number().nullable().meta({ description: "minEffect in the metric's unit" }),
    pValue: z.number().nullable().meta({ description: 'the p-value for no difference; always valid for sequential' }),
    adjustedPValue: z.number().nullable().meta({ description: "the Holm–Bonferroni adjusted p-value over the stage's comparison criteria" }),
    eValue: z.number().optional().meta({ description: 'the mixture likelihood ratio of a sequential test against a control' }),
    family: z.number().int().meta({ description: 'how many comparison criteria of the stage the Holm correction spans' }),
    samples: z.object({ treatment: z.number().int(), reference: z.number().int() }),
    look: z.number().int().meta({ description: "this criterion's evaluation in the stage attempt, from 1" }),
  })
  .meta({ id: 'ComparisonStatistics' });

/** CriterionVerdict is one exit criterion as last evaluated: the value, what it was compared with, over which samples and window. */
export const CriterionVerdict = z
  .object({
    metric: z.string(),
    verdict: Verdict,
    reason: z.string().meta({ description: 'why, in words, e.g. "0.82 >= 0.8 over 40 samples"' }),
    value: z.number().nullable(),
    op: z.enum(['<', '<=', '>', '>=']),
    threshold: z.number().nullable(),
    samples: z.number().int(),
    window: Window,
    baseline: Observation.optional(),
    baselineWindow: Window.optional(),
    index: z.number().int().optional().meta({ description: "the criterion's position in the stage's criteria, from 0" }),
    consecutivePasses: z
      .number()
      .int()
      .optional()
      .meta({ description: 'the run of passing evaluations of this criterion, this one included; the stage passes once it reaches the criterion\'s `consecutive`' }),
    pulled: z.array(PulledEvidence).optional().meta({ description: "for a metric pulled from a provider: the answers the verdict rested on" }),

    comparison: ComparisonStatistics.optional().meta({ description: "a comparison criterion's test statistics" }),
    referenceWindow: Window.optional().meta({ description: "the window a comparison criterion's reference group was read over" }),
  })
  .meta({ id: 'CriterionVerdict' });

export const StageEvaluation = z
  .object({ evaluatedAt: Instant, verdict: Verdict, criteria: z.array(CriterionVerdict) })
  .meta({ id: 'StageEvaluation', description: "the latest evaluation of the stage's exit criteria" });

export const SiteView = z
  .object({
    site: z.string(),
    wave: z.number().int(),
    state: z.enum(['pending', 'waiting', 'starting', 'running', 'awaiting-approval', 'held', 'passed', 'aborted', 'failed', 'rolled-back']),
    workflowId: z.string().optional().meta({ description: "the site's run, once it started (a Temporal workflow id)" }),
    attempt: z.number().int().meta({ description: "the site's runs: a retry after a halt starts a new one" }),
    startedAt: Instant.optional(),
    notBefore: Instant.optional().meta({ description: "when the site's next execution window opens" }),
    heldReason: z.string().optional(),
    settledAt: Instant.optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'SiteView' });

export const WaveView = z
  .object({
    number: z.number().int(),
    sites: z.array(z.string()),
    state: z.enum(['pending', 'feedback', 'awaiting-approval', 'running', 'passed']),
    expectedStart: Instant,
    expectedFinish: Instant,
    opensAt: Instant.optional(),
    startedAt: Instant.optional(),
    passedAt: Instant.optional(),
    approvals: z.array(SignOff),
  })
  .meta({ id: 'WaveView' });

export const StageView = z
  .object({
    id: z.string(),
    title: z.string(),
    mode: z.enum(['pilot', 'shadow', 'supervised', 'autonomous']),
    state: StageState,
    dependsOn: z.array(z.string()),
    attempt: z.number().int().meta({ description: 'entries into the stage: 1, plus one per retry-window or rollback' }),
    startedAt: Instant.optional(),
    windowStartedAt: Instant.optional().meta({ description: 'where the evidence window begins: startedAt, or the last retry-window' }),
    endsNoEarlierThan: Instant.optional().meta({ description: 'the stage cannot pass before this (minDuration)' }),
    passedAt: Instant.optional(),
    required: z.array(z.object({ role: z.string(), count: z.number().int() })).meta({ description: 'the sign-offs the stage needs' }),
    approvals: z.array(SignOff).meta({ description: 'the sign-offs that count now (a rejection clears earlier ones)' }),
    history: z.array(SignOff).meta({ description: 'every sign-off decision on the stage, in order' }),
    awaitingSince: Instant.optional(),
    escalatedTo: z.array(z.string()).meta({ description: 'roles the escalation chain has reached; a member may sign off alone' }),
    hold: z
      .object({ cause: z.enum(['rejected', 'criteria-failed', 'inconclusive', 'site-failed']), reason: z.string(), at: Instant })
      .optional()
      .meta({ description: 'why a held stage waits for a person' }),
    evaluation: StageEvaluation.optional(),
    overrideAuthority: z.string().optional(),
    overrides: z.array(z.object({ by: z.string(), role: z.string(), reason: z.string(), at: Instant, recommendationId: z.string().optional() })),
    notBefore: Instant.optional(),
    sites: z.array(SiteView).optional(),
    waves: z.array(WaveView).optional(),
    steadyState: z
      .object({
        workflowId: z.string(),
        abandoned: z.boolean().optional(),
        report: z.record(z.string(), z.unknown()).optional().meta({ description: 'the latest review report: open reviews, lagging verdict, next review' }),
        settled: z.enum(['passed', 'failed', 'aborted']).optional(),
        reason: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: 'StageView' });
export type StageView = z.infer<typeof StageView>;

export const PrerequisiteView = z
  .object({
    id: z.string(),
    kind: z.string(),
    title: z.string(),
    before: z.string().optional(),
    signedBy: z.string().meta({ description: 'the role that signs it off' }),
    perSite: z.boolean(),
    evidence: z.string().optional(),
    site: z.string().optional().meta({ description: 'set on the per-site instance of a perSite prerequisite (id `<id>@<site>`)' }),
    signed: z.object({ by: z.string(), at: Instant, evidence: z.string().optional(), comment: z.string().optional() }).optional(),
  })
  .meta({ id: 'PrerequisiteView' });

export const Delivery = z.looseObject({ state: z.string() }).meta({ id: 'NotificationDelivery', description: 'a webhook notification not delivered yet' });

/** RolloutView is GET /v1/rollouts/:id: the rollout, its prerequisites and its stages, as they stand. */
export const RolloutView = z
  .object({
    rolloutId: z.string(),
    workflowId: z.string(),
    plan: z.string(),
    version: z.number().int(),
    digest: z.string(),
    state: RolloutState,
    source: z.enum(['live', 'snapshot']).meta({ description: 'live: the workflow answered; snapshot: its last recorded status' }),
    asOf: z
      .number()
      .int()
      .optional()
      .meta({ description: "a snapshot's freshness: the trail sequence (an event's seq) of the last event it follows; absent on a live answer and on snapshots written before it was kept" }),
    startedBy: z.string().optional(),
    startedAt: Instant,
    endedAt: Instant.optional(),
    heldReason: z.string().optional(),
    terminated: z
      .object({ at: Instant, reason: z.string().optional(), identity: z.string().optional() })
      .optional()
      .meta({ description: 'how the workflow was ended from outside rollgate' }),
    stuck: z
      .object({ since: Instant, attempts: z.number().int(), message: z.string() })
      .optional()
      .meta({ description: 'what keeps the rollout from going on, when the sweep found it stuck' }),
    prerequisites: z.array(PrerequisiteView),
    stages: z.array(StageView),
    notifications: z.object({ delivered: z.number().int(), undelivered: z.array(Delivery) }),
  })
  .meta({ id: 'RolloutView' });
export type RolloutView = z.infer<typeof RolloutView>;

export const RolloutSummary = z
  .object({
    rolloutId: z.string(),
    workflowId: z.string(),
    plan: z.string(),
    version: z.number().int(),
    state: RolloutState,
    activeStages: z.array(z.string()),
    startedBy: z.string().nullable(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'RolloutSummary' });

export const RolloutList = z
  .object({
    rollouts: z.array(RolloutSummary),
    next: z.string().nullable().meta({ description: 'the `after` value of the next page; null when this page is the last' }),
  })
  .meta({ id: 'RolloutList' });

export const RolloutStarted = z
  .object({ rolloutId: z.string(), workflowId: z.string(), plan: z.string(), version: z.number().int() })
  .meta({ id: 'RolloutStarted' });

export const AuditEvent = z
  .object({
    seq: z.number().int(),
    rolloutId: z.string(),
    planName: z.string(),
    planVersion: z.number().int(),
    stageId: z.string().nullable(),
    type: z.string().meta({ example: 'stage.approved' }),
    actor: z.string().nullable(),
    role: z.string().nullable(),
    reason: z.string().nullable(),
    requestId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    occurredAt: Instant,
    recordedAt: Instant,
  })
  .meta({ id: 'AuditEvent' });

export const AuditPage = z.object({ events: z.array(AuditEvent), next: NextPosition }).meta({ id: 'AuditPage' });

export const StageActionResult = z
  .object({ rolloutId: z.string(), site: z.string().optional(), stage: StageView })
  .meta({ id: 'StageActionResult', description: 'the stage after the action (for a site, the site run\'s stage)' });

export const PrerequisiteSignedResult = z.object({ rolloutId: z.string(), prerequisite: PrerequisiteView }).meta({ id: 'PrerequisiteSignedResult' });

export const OperatorActionResult = z
  .object({ rolloutId: z.string(), state: z.enum(ROLLOUT_STATES) })
  .meta({ id: 'OperatorActionResult', description: "the rollout's state once the workflow applied the pause, resume or abort" });
