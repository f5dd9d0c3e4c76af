import { z } from 'zod';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, formatDuration, parseDuration } from './duration';

/**
 * The rollout plan format. This zod schema is the single source of truth: the TypeScript
 * types, the JSON Schema (definitions/plan.schema.json), API validation and the field
 * reference in docs/plan-format.md all derive from it. Each field's description starts with
 * the field's name, then gives units and the default.
 *
 * Cross-field rules (known roles, metrics and stages; upstream rollback targets) live in
 * definitions/semantics.ts; the field's known mistakes are warnings in definitions/lint.ts.
 */

/** Identifier: lower-case letters, digits and dashes, starting with a letter or digit. */
export const Identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (at most 63), starting with a letter or digit');

/** RoleName: a role, optionally scoped to one site as `role@site` (e.g. `plant-manager@plant-b`). */
export const RoleName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}(@[a-z0-9][a-z0-9-]{0,62})?$/,
    'must be a role id such as line-supervisor, optionally scoped to a site as plant-manager@plant-b',
  );

/** Duration: `6w`, `14d`, `36h`, `90m`, `30s`, `500ms`, combinations such as `1d12h`, or ISO 8601 (`P6W`, `PT36H`). */
export const Duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, {
    message: 'is not a duration: use e.g. 6w, 14d, 36h, 90m, 30s, or ISO 8601 such as P6W or PT36H',
  })
  .refine((text) => (parseDuration(text) ?? 0) <= MAX_DURATION_MS, {
    message: `is longer than ${MAX_DURATION_TEXT}, the longest duration a plan may give`,
  })
  .describe(
    `A duration such as 6w, 14d, 36h, 90m or 30s (combinations like 1d12h work), or ISO 8601 such as P6W or PT36H; at most ${MAX_DURATION_TEXT}.`,
  );
export type Duration = z.infer<typeof Duration>;

/** durationAtLeast is Duration with a lower bound; `why` ends the message of a shorter one. */
function durationAtLeast(minMs: number, why: string) {
  return Duration.refine((text) => (parseDuration(text) ?? minMs) >= minMs, { message: `is shorter than ${formatDuration(minMs)}: ${why}` });
}

/**
 * MIN_CADENCE_MS is the shortest period of anything the engine repeats on its own (criteria
 * evaluation, reviews, retraining reminders): each repetition is an activity or a timer in the
 * rollout's history, so a shorter period would keep the worker busy with nothing else.
 */
export const MIN_CADENCE_MS = 1_000;
/** MAX_WAVE_SIZE bounds a wave and the sites (or lines) of a stage's scope: each runs as a child workflow, and Temporal limits a workflow to 2,000 pending children by default. */
export const MAX_WAVE_SIZE = 1_000;
/** MAX_CONSECUTIVE bounds how many evaluations in a row a criterion may ask for. */
export const MAX_CONSECUTIVE = 1_000;
/** MAX_MIN_SAMPLES bounds minSamples: more samples than this in one window is a typo. */
export const MAX_MIN_SAMPLES = 1_000_000;
/**
 * MAX_THRESHOLD bounds a criterion's threshold in magnitude: a billion is more than any KPI of
 * a line or a site (parts, ppm, seconds, percent) and keeps the comparison well inside the
 * integers a double holds exactly; a larger one is a typo.
 */
export const MAX_THRESHOLD = 1_000_000_000;
/** MAX_PERCENT bounds a percentage such as maxRegression: more than 100% worse is no bound at all. */
export const MAX_PERCENT = 100;

/** Percent: a share written as `5%` or `0.5%`. */
export const Percent = z
  .string()
  .regex(/^\d+(\.\d+)?%$/, 'must be a percentage such as 5% or 2.5%')
  .refine((text) => !/^\d+(\.\d+)?%$/.test(text) || Number(text.slice(0, -1)) <= MAX_PERCENT, { message: `is more than ${MAX_PERCENT}%` })
  .describe(`A percentage such as 5% or 2.5%, at most ${MAX_PERCENT}%.`);

/** DEFAULT_EVALUATION_INTERVAL is how often a stage's criteria are evaluated when the plan does not say. */
export const DEFAULT_EVALUATION_INTERVAL = '1h';

// ── Metadata and the decision-authority map ─────────────────────────────────────────────

export const Environment = z.enum(['factory', 'logistics']).describe('environment: factory or logistics.');
export type Environment = z.infer<typeof Environment>;

export const Role = z
  .strictObject({
    members: z
      .array(z.string().min(1))
      .min(1)
      .describe('members: the principals who hold the role. A service principal signs off only where a plan lists it here.'),
    description: z.string().optional().describe('description: what the role is accountable for.'),
  })
  .describe('A role of the decision-authority map.');
export type Role = z.infer<typeof Role>;

// ── Metric catalog ──────────────────────────────────────────────────────────────────────

export const MetricDirection = z
  .enum(['higher-is-better', 'lower-is-better'])
  .describe('direction: whether higher or lower values are better.');
export const MetricKind = z
  .enum(['leading', 'lagging'])
  .describe('kind: leading (moves within weeks) or lagging (needs 12–18 months, e.g. warranty claims).');

/** ProviderName: a metric provider the operator configured for the worker (docs/providers.md). */
export const ProviderName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a provider name: lower-case letters, digits and dashes, starting with a letter or digit');

/** MAX_QUERY_LENGTH bounds a pulled metric's query text. */
export const MAX_QUERY_LENGTH = 10_000;

export const MetricSource = z
  .strictObject({
    provider: ProviderName.describe("provider: the worker's metric provider to query, by name; its address and credentials are the worker's, never the plan's."),
    query: z
      .string()
      .min(1)
      .max(MAX_QUERY_LENGTH)
      .describe(
        'query: what to ask the provider for one number. PromQL with $window (the window as a range such as 3600s) and $site, $line, $shift, $lane, $carrier (label values, escaped); SQL with bind parameters only: $1 window start, $2 window end, $3 the scope as JSON, answering one row with value (and optionally samples, observed_at); InfluxQL with $from and $to (bound time range) and the scope words as quoted strings; for http, a JSONPath to the value in the answer.',
      ),
  })
  .describe('source: pull the metric from a provider on each evaluation instead of waiting for reported samples.');
export type MetricSource = z.infer<typeof MetricSource>;

export const Metric = z
  .strictObject({
    unit: z.string().min(1).describe('unit: what the values are measured in, e.g. %, ppm, min, EUR/load.'),
    direction: MetricDirection,
    kind: MetricKind.default('leading'),
    guardrail: z
      .boolean()
      .default(false)
      .describe('guardrail: true for a metric that must not get worse while a proxy improves; some stage must watch it. Default false.'),
    description: z.string().optional().describe('description: what the metric measures and where it comes from.'),
    source: MetricSource.optional(),
    labelSensitive: z
      .boolean()
      .optional()
      .describe('labelSensitive: true when the metric rests on outcome labels whose definition can change; shadow stages should then judge labelDrift (lint untracked-label-version). Default false.'),
    cadence: Duration.optional().describe(
      'cadence: how often a sample is expected (e.g. 1m); a feed with a cadence is watched for freshness (lint unwatched-feed) and judged for completeness against it.',
    ),
  })
  .describe('A metric of the catalog; criteria refer to it by name.');
export type Metric = z.infer<typeof Metric>;

// ── Readiness prerequisites ─────────────────────────────────────────────────────────────

export const PrerequisiteKind = z
  .enum(['data-contract', 'integration-debt-assessment', 'operator-training', 'other'])
  .describe('kind: data-contract, integration-debt-assessment, operator-training or other.');
export type PrerequisiteKind = z.infer<typeof PrerequisiteKind>;

export const Prerequisite = z
  .strictObject({
    id: Identifier.describe('id: unique among prerequisites.'),
    kind: PrerequisiteKind,
    title: z.string().min(1).describe('title: what must be in place.'),
    before: Identifier.optional().describe('before: the stage that cannot start until this is signed off. Default: the first stages, i.e. the whole rollout.'),
    signedBy: RoleName.describe('signedBy: the role whose member signs the prerequisite off.'),
    perSite: z
      .boolean()
      .default(false)
      .describe(
        'perSite: true asks for one sign-off per site of the `before` stage (a forEach stage), each by `signedBy@<site>`; that site cannot start without it. Default false.',
      ),
    evidence: z.url({ protocol: /^https?$/ }).max(2000).optional().describe('evidence: a link (https: or http:) to the document or record, e.g. the data contract.'),
  })
  .describe('A readiness prerequisite, signed off like an approval before a stage can start.');
export type Prerequisite = z.infer<typeof Prerequisite>;

// ── Stage parts ─────────────────────────────────────────────────────────────────────────

export const StageMode = z
  .enum(['pilot', 'shadow', 'supervised', 'autonomous'])
  .describe(
    'mode: pilot (limited trial), shadow (recommendations visible beside real outcomes, never acted on), supervised (acted on, with manual override authority) or autonomous.',
  );
export type StageMode = z.infer<typeof StageMode>;

export const Scope = z
  .strictObject({
    sites: z.array(Identifier).max(MAX_WAVE_SIZE).optional().describe('sites: plants, warehouses or depots in scope.'),
    lines: z.array(Identifier).max(MAX_WAVE_SIZE).optional().describe('lines: production lines in scope.'),
    shifts: z.array(Identifier).max(MAX_WAVE_SIZE).optional().describe('shifts: shifts in scope, e.g. early, late, night.'),
    lanes: z.array(Identifier).max(MAX_WAVE_SIZE).optional().describe('lanes: transport lanes in scope.'),
    carriers: z.array(Identifier).max(MAX_WAVE_SIZE).optional().describe('carriers: carriers in scope.'),
  })
  .describe('scope: where the stage applies.');
export type Scope = z.infer<typeof Scope>;

export const ComparisonOperator = z.enum(['<', '<=', '>', '>=']).describe('op: how the value compares with the threshold.');

export const Baseline = z
  .strictObject({
    window: Duration.describe('window: the reference period just before the stage started.'),
    maxRegression: Percent.describe('maxRegression: how much worse than the baseline the value may be, e.g. 5%.'),
  })
  .describe('baseline: judge the metric against its own value before the stage, not a fixed number.');

// Data-quality checks: a criterion with one of these judges the evidence itself, not its value.

export const Completeness = z
  .strictObject({
    cadence: Duration.optional().describe("cadence: the expected time between samples. Default the metric's cadence."),
    min: Percent.describe('min: the least share of cadence intervals of the window that hold a sample, e.g. 95%.'),
  })
  .describe('completeness: the share of expected intervals over the window that have data.');

export const ClockSkew = z
  .strictObject({
    max: Duration.describe('max: the largest allowed difference between when the server received a pushed sample and its observedAt.'),
    maxSpread: Duration.optional().describe('maxSpread: the largest allowed difference between the biggest and smallest of those differences.'),
  })
  .describe('skew: pushed samples whose clocks disagree with the server fail the criterion.');

export const LabelDrift = z
  .strictObject({
    trainedOn: z.string().min(1).max(200).describe('trainedOn: the label definition version the model was trained on.'),
    maxShare: Percent.describe("maxShare: the largest share of the window's outcomes (of those carrying a labelVersion) labelled under another version, e.g. 5%."),
  })
  .describe('labelDrift: outcomes labelled under another label definition than the one the model learnt from.');

/** The tests a comparison criterion can use; see policy/comparison.ts. */
export const ComparisonTest = z
  .enum(['sequential', 'mann-whitney'])
  .describe(
    'test: sequential (an always-valid confidence sequence for the difference of means, valid at every look; the default) or mann-whitney (a rank test at a fixed look, once the window is full).',
  );

export const ComparisonControl = z
  .union([
    z
      .strictObject({
        scope: z
          .strictObject({
            site: Identifier.optional().describe('site: a site that does not run the model.'),
            line: Identifier.optional().describe('line: a line that does not run the model.'),
            shift: Identifier.optional().describe('shift: a shift that does not run the model.'),
            lane: Identifier.optional().describe('lane: a lane that does not run the model.'),
            carrier: Identifier.optional().describe('carrier: a carrier that does not run the model.'),
          })
          .refine((scope) => Object.keys(scope).length > 0, { message: 'name at least one of site, line, shift, lane or carrier' })
          .describe("scope: the evidence scope of the control group, e.g. { line: line-2 }; the stage's own evidence leaves it out."),
      })
      .describe('A control scope over the same window.'),
    z
      .strictObject({ wave: z.literal('previous').describe("wave: previous judges a per-site stage's wave against the sites of the wave before it.") })
      .describe("The previous wave's sites over the same window."),
  ])
  .describe('control: the group that does not run the model, for `against: control`: a scope, or the previous wave of a per-site stage.');

export const Compare = z
  .strictObject({
    against: z
      .enum(['baseline', 'control'])
      .describe("against: baseline (the stage's own scope over the window just before the stage started) or control (another group over the same window)."),
    control: ComparisonControl.optional(),
    test: ComparisonTest.default('sequential'),
    alpha: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.05)
      .describe('alpha: the false-alarm rate the test allows over the whole stage, however often it looks; above 0, at most 0.5. Default 0.05.'),
    minEffect: Percent.default('0%').describe(
      'minEffect: the smallest change that matters, relative to the reference mean (median for mann-whitney); a smaller one passes as no material change. Default 0%.',
    ),
    direction: z
      .enum(['must-not-degrade', 'must-improve'])
      .default('must-not-degrade')
      .describe('direction: must-not-degrade (a guardrail: fail on a significant change for the worse) or must-improve. Default must-not-degrade.'),
  })
  .describe('compare: judge the metric statistically against a baseline or a control group, rather than against a fixed number.');
export type Compare = z.infer<typeof Compare>;

export const Criterion = z
  .strictObject({
    metric: z.string().min(1).describe('metric: a metric of the catalog, or a built-in one such as precision or override-rate.'),
    op: ComparisonOperator.optional().describe("op: <, <=, > or >=. Default from the metric's direction: >= when higher is better, <= when lower is."),
    threshold: z
      .number()
      .min(-MAX_THRESHOLD)
      .max(MAX_THRESHOLD)
      .optional()
      .describe(`threshold: the value to compare with, at most ${MAX_THRESHOLD} in magnitude. Give one of threshold, baseline or compare.`),
    baseline: Baseline.optional(),
    compare: Compare.optional(),
    window: Duration.describe('window: how far back the evaluation looks, e.g. 14d.'),
    minSamples: z
      .number()
      .int()
      .min(1)
      .max(MAX_MIN_SAMPLES)
      .default(1)
      .describe(`minSamples: fewer samples in the window make the verdict inconclusive; 1 to ${MAX_MIN_SAMPLES}. Default 1.`),
    consecutive: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONSECUTIVE)
      .default(1)
      .describe(`consecutive: how many evaluations in a row must pass; 1 to ${MAX_CONSECUTIVE}. Default 1.`),
    freshness: Duration.optional().describe(
      'freshness: the oldest the newest sample of the metric (in the scope) may be, e.g. 15m; older, or none in the window, is inconclusive. Instead of threshold or baseline.',
    ),
    completeness: Completeness.optional(),
    skew: ClockSkew.optional(),
    labelDrift: LabelDrift.optional(),
  })
  .describe('An exit criterion: a measurable condition the stage must meet before it can pass.');
export type Criterion = z.infer<typeof Criterion>;

export const Approval = z
  .strictObject({
    role: RoleName.describe('role: the role whose members may sign off.'),
    count: z.number().int().min(1).max(50).default(1).describe('count: how many distinct people of the role must approve. Default 1.'),
  })
  .describe('A sign-off requirement.');
export type Approval = z.infer<typeof Approval>;

export const EscalationStep = z
  .discriminatedUnion('action', [
    z.strictObject({
      after: Duration.describe('after: time since the stage started waiting for sign-off.'),
      action: z.literal('escalate'),
      to: RoleName.describe('to: the role that is notified and may then approve.'),
    }),
    z.strictObject({
      after: Duration.describe('after: time since the stage started waiting for sign-off.'),
      action: z.enum(['hold', 'abort']).describe('action: hold the rollout, or abort it.'),
    }),
  ])
  .describe('An escalation step: when sign-off takes longer than `after`, escalate to another role, hold or abort.');
export type EscalationStep = z.infer<typeof EscalationStep>;

export const FailurePolicy = z
  .union([
    z.enum(['hold', 'abort']),
    z.strictObject({ rollback: Identifier.describe('rollback: the upstream stage to re-enter after compensation.') }),
  ])
  .describe('onFailure: hold (pause for a human), abort, or { rollback: <upstream stage id> }. Default hold.');
export type FailurePolicy = z.infer<typeof FailurePolicy>;

export const Wave = z
  .union([z.number().int().min(1).max(MAX_WAVE_SIZE), z.literal('rest')])
  .describe(`A wave size: a number of sites (1 to ${MAX_WAVE_SIZE}), or rest for all remaining ones (last wave only).`);

export const ForEach = z
  .strictObject({
    over: z.enum(['sites', 'lines']).describe("over: run the stage once per entry of the stage's scope.sites or scope.lines."),
    waves: z.array(Wave).min(1).describe('waves: how many run in each wave, e.g. [1, 2, rest].'),
    feedbackCycle: Duration.optional().describe('feedbackCycle: the minimum time between a wave passing and the next one starting.'),
    waveApprovals: z
      .array(Approval)
      .min(1, 'a wave sign-off needs at least one approval; leave waveApprovals out for the stage approvals')
      .optional()
      .describe(
        "waveApprovals: sign-offs needed before each wave after the first starts (after the feedback cycle). Default the stage's approvals. Each site is signed off by the stage's approvals scoped to it (plant-manager → plant-manager@<site>).",
      ),
    onSiteFailure: z
      .enum(['halt', 'rollback-site', 'abort-all'])
      .default('halt')
      .describe('onSiteFailure: halt (start no new sites), rollback-site (compensate that site only) or abort-all. Default halt.'),
  })
  .describe('forEach: run the stage per site (or line), in waves with a feedback cycle between them.');
export type ForEach = z.infer<typeof ForEach>;

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).describe('A day of the week: mon … sun.');
export type Weekday = z.infer<typeof Weekday>;

/** TimeOfDay: `HH:MM` on a 24-hour clock, local to the site. */
export const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 06:00 or 22:30');

export const ExecutionWindow = z
  .strictObject({
    days: z.array(Weekday).min(1).describe('days: the days the window opens on, e.g. [mon, tue, wed, thu, fri].'),
    from: TimeOfDay.describe("from: when the window opens, HH:MM in the site's time zone."),
    to: TimeOfDay.describe("to: when it closes, HH:MM in the site's time zone; earlier than from means the next day (a night shift)."),
    description: z.string().optional().describe('description: e.g. early shift, or outside the maintenance calendar.'),
  })
  .describe('An execution window: when work at a site may start, e.g. a shift, in the site’s own time zone.');
export type ExecutionWindow = z.infer<typeof ExecutionWindow>;

export const Site = z
  .strictObject({
    title: z.string().optional().describe('title: the human-readable name, e.g. Plant B (Győr).'),
    timeZone: z.string().min(1).describe('timeZone: the IANA time zone of the site, e.g. Europe/Berlin; execution windows are local to it.'),
    executionWindows: z
      .array(ExecutionWindow)
      .default([])
      .describe('executionWindows: when a per-site stage may start there. Default none, i.e. at any time.'),
  })
  .describe('A site (or line) of a per-site stage: its time zone and execution windows.');
export type Site = z.infer<typeof Site>;

export const SteadyState = z
  .strictObject({
    reviewEvery: durationAtLeast(MIN_CADENCE_MS, 'each review is a sign-off task, so open at most one a second').describe(
      'reviewEvery: the review calendar, e.g. 4w; each review is a sign-off task with the latest KPI verdicts. At least 1s.',
    ),
    reviewBy: z.array(Approval).min(1, 'a review needs at least one approval; leave reviewBy out for the stage approvals').optional().describe("reviewBy: who signs a periodic review off. Default the stage's approvals."),
    retrainEvery: durationAtLeast(MIN_CADENCE_MS, 'each reminder is a notification, so send at most one a second')
      .optional()
      .describe('retrainEvery: how often a retraining reminder is sent, with a due date. At least 1s.'),
    retrainingOwner: RoleName.optional().describe('retrainingOwner: the role a retraining reminder is addressed to.'),
    horizon: Duration.describe(
      'horizon: when the lagging KPIs can be judged, from the start of the stage, e.g. 52w or 78w (12 or 18 months). Before it their verdict is too-early.',
    ),
  })
  .describe('steadyState: long-run governance after full deployment: periodic reviews, retraining reminders and the lagging-KPI verdict.');
export type SteadyState = z.infer<typeof SteadyState>;

export const Deferral = z
  .strictObject({
    confidenceThreshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('confidenceThreshold: decisions with lower model confidence (0..1) go to a human.'),
    irreversible: z.boolean().default(false).describe('irreversible: true when a decision cannot be undone once executed (the truck has left). Default false.'),
    decisionDeadline: Duration.optional().describe('decisionDeadline: how long a human has to decide when the request gives no decideBy.'),
    safeDefault: z
      .enum(['hold', 'escalate', 'execute'])
      .default('hold')
      .describe('safeDefault: what happens when nobody decides in time; never execute for irreversible decisions. Default hold.'),
    deferTo: RoleName.optional().describe('deferTo: the role that decides deferred decisions.'),
  })
  .describe('deferral: how decisions below the confidence threshold go to a human.');
export type Deferral = z.infer<typeof Deferral>;

export const LintSuppression = z
  .strictObject({
    rule: z.string().min(1).describe('rule: the lint rule to switch off for this stage.'),
    reason: z.string().min(1).describe('reason: why the warning does not apply here.'),
  })
  .describe('A lint warning switched off for one stage, with the reason.');

// ── Notification targets: the systems operators already use ─────────────────────────────

export const NotificationEvent = z
  .enum([
    'stage.awaiting-approval',
    'stage.escalated',
    'stage.passed',
    'stage.rejected',
    'stage.failed',
    'stage.compensate',
    'rollout.held',
    'rollout.completed',
    'rollout.aborted',
    'decision.deferred',
    'decision.resolved',
    'decision.timed-out',
    'wave.awaiting-approval',
    'site.failed',
    'review.due',
    'retraining.due',
  ])
  .describe('An event a notification target can receive.');
export type NotificationEvent = z.infer<typeof NotificationEvent>;

export const NotificationTarget = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe('url: the webhook of a CMMS, WMS or operator dashboard; events are POSTed as JSON.'),
    secretEnv: z
      .string()
      .regex(/^ROLLGATE_WEBHOOK_SECRET_[A-Z0-9_]+$/, 'must name a worker environment variable starting with ROLLGATE_WEBHOOK_SECRET_')
      .optional()
      .describe('secretEnv: the worker environment variable holding the HMAC-SHA256 signing secret (never the secret itself).'),
    events: z.array(NotificationEvent).optional().describe('events: which events to send. Default all.'),
    description: z.string().optional().describe('description: which system this is.'),
  })
  .describe('A notification target: rollout events are delivered there, signed, with retries.');
export type NotificationTarget = z.infer<typeof NotificationTarget>;

// ── Stages and the plan ─────────────────────────────────────────────────────────────────

export const Stage = z
  .strictObject({
    id: Identifier.describe('id: unique within the plan; names the stage in the API and the audit trail.'),
    title: z.string().min(1).describe('title: the human-readable name.'),
    dependsOn: z.array(Identifier).default([]).describe('dependsOn: stages that must pass before this one starts. Default none.'),
    mode: StageMode,
    overrideAuthority: RoleName.optional().describe('overrideAuthority: the role that may override the model; required in supervised stages.'),
    scope: Scope.optional(),
    minDuration: Duration.describe('minDuration: the least time the stage runs before it can pass, e.g. 6w.'),
    maxDuration: Duration.optional().describe('maxDuration: when criteria are still inconclusive by then, the stage is held for a human.'),
    evaluationInterval: durationAtLeast(MIN_CADENCE_MS, 'each evaluation is an activity of the rollout, so evaluate at most once a second')
      .default(DEFAULT_EVALUATION_INTERVAL)
      .describe(`evaluationInterval: how often criteria are evaluated; at least 1s. Default ${DEFAULT_EVALUATION_INTERVAL}.`),
    criteria: z.array(Criterion).default([]).describe('criteria: exit criteria; all must pass.'),
    approvals: z.array(Approval).min(1, 'a stage needs at least one approval').describe('approvals: sign-offs needed, all of them, by distinct people.'),
    escalation: z.array(EscalationStep).default([]).describe('escalation: what happens when sign-off takes too long, in order of `after`.'),
    onFailure: FailurePolicy.default('hold'),
    forEach: ForEach.optional(),
    steadyState: SteadyState.optional(),
    deferral: Deferral.optional(),
    lint: z
      .strictObject({ ignore: z.array(LintSuppression).default([]).describe('ignore: lint warnings switched off, each with a reason.') })
      .optional()
      .describe('lint: lint settings for this stage.'),
  })
  .describe('A stage of the rollout; it starts when every stage it depends on has passed.');
export type Stage = z.infer<typeof Stage>;

export const Plan = z
  .strictObject({
    name: Identifier.describe('name: identifies the plan; uploads with the same name become its versions.'),
    description: z.string().optional().describe('description: what is being rolled out and why.'),
    labels: z.record(z.string(), z.string()).optional().describe('labels: free-form key: value tags.'),
    environment: Environment.optional(),
    owner: z.string().min(1).describe('owner: the accountable person or role.'),
    roles: z.record(RoleName, Role).optional().describe('roles: the decision-authority map, role → members. When present, every role the plan names must be in it.'),
    metrics: z.record(Identifier, Metric).optional().describe('metrics: the metric catalog, by name.'),
    sites: z
      .record(Identifier, Site)
      .optional()
      .describe('sites: the sites (or lines) of per-site stages, with their time zones and execution windows. A site not listed has no window.'),
    allowSelfApproval: z
      .boolean()
      .default(false)
      .describe('allowSelfApproval: true lets the person who started a rollout sign off its stages. Default false (separation of duties).'),
    prerequisites: z.array(Prerequisite).default([]).describe('prerequisites: readiness prerequisites, signed off before a stage (or the rollout) starts.'),
    notifications: z.array(NotificationTarget).default([]).describe('notifications: webhook targets that hear about sign-off, escalation and outcomes.'),
    stages: z.array(Stage).min(1, 'a plan needs at least one stage').describe('stages: a directed acyclic graph through their dependsOn lists.'),
  })
  .describe('A rollgate rollout plan.');
export type Plan = z.infer<typeof Plan>;
/** PlanInput is a plan as written, before defaults are filled in. */
export type PlanInput = z.input<typeof Plan>;
