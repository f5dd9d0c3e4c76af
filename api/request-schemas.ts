import { z } from 'zod';
import { ROLLOUT_STATES } from '../contract/rollouts';
import { LinkUrl, Name, OptionalText, PG_INTEGER_MAX, PositiveInt32, SeqPosition, Text } from './limits';

/** RolloutId: letters, digits, dot, dash and underscore; at most 100 characters. */
const RolloutId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be letters, digits, ".", "_" or "-" (at most 100), starting with a letter or digit');

/** StartRolloutRequest is the body of POST /v1/rollouts. */
export const StartRolloutRequest = z.strictObject({
  /** plan is the plan's name. */
  plan: Name,
  /** version pins a plan version; default the latest. */
  version: PositiveInt32.optional(),
  /** rolloutId names the rollout; default a random UUID. */
  rolloutId: RolloutId.optional(),
});
export type StartRolloutRequest = z.infer<typeof StartRolloutRequest>;

/** SiteName: the site (or line) of a forEach stage an action is for; the stage's sign-off of a wave otherwise. */
const SiteName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a site id from the stage scope, e.g. plant-b');

/** StageDecisionRequest is the body of POST /v1/rollouts/:id/stages/:stageId/approvals. */
export const StageDecisionRequest = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    site: SiteName.optional(),
    /** role is the role the sign-off counts toward; default the first still-missing role the principal holds. */
    role: Name.optional(),
    comment: OptionalText(4000).optional(),
  })
  .refine((body) => body.decision !== 'reject' || Boolean(body.comment), {
    path: ['comment'],
    message: 'a rejection needs a reason in comment',
  });
export type StageDecisionRequest = z.infer<typeof StageDecisionRequest>;

/** OverrideBody is the body of POST /v1/rollouts/:id/stages/:stageId/overrides. */
export const OverrideBody = z.strictObject({
  site: SiteName.optional(),
  reason: Text(4000, 'an override needs a reason'),
  recommendationId: Name.optional(),
});

/** ResolutionBody is the body of POST /v1/rollouts/:id/stages/:stageId/resolution. */
export const ResolutionBody = z.strictObject({
  site: SiteName.optional(),
  choice: z.enum(['retry-window', 'rollback', 'abort']),
  /** to is the upstream stage a rollback re-enters; default the plan's onFailure rollback target. */
  to: Name.optional(),
  reason: Text(4000, 'a resolution needs a reason'),
});

/** PrerequisiteSignOffBody is the body of POST /v1/rollouts/:id/prerequisites/:prerequisiteId/sign-offs. */
export const PrerequisiteSignOffBody = z.strictObject({
  /** evidence is a link to the record signed for; pages render it, so it is https: or http: only. */
  evidence: LinkUrl.optional(),
  comment: OptionalText(4000).optional(),
});

/** OperatorActionRequest is the optional body of pause, resume and abort. */
export const OperatorActionRequest = z.strictObject({
  reason: OptionalText(4000).optional(),
});

/** IdempotencyKey is the optional Idempotency-Key header: a retry with the same key counts once. */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1–200 letters, digits, ".", "_", ":" or "-"');

/** pageLimit is a list endpoint's `limit` query parameter: how many items a page has, 1 to max, default 100. */
export const pageLimit = (max: number) => z.coerce.number<unknown>().int().min(1).max(max).default(100);

/** PageAfter is a list endpoint's `after` query parameter: the page starts after this position (seq), default the start. */
export const PageAfter = z.coerce.number<unknown>().pipe(SeqPosition).default(0);

/** PageQuery is the paging of a list: `limit` items after position `after`. */
export const PageQuery = z.strictObject({
  limit: pageLimit(500),
  after: PageAfter,
});

/** RolloutCursor is where a page of the rollout list ends: the last rollout's creation time and id (newest first). */
export interface RolloutCursor {
  createdAt: string;
  rolloutId: string;
}

/** encodeRolloutCursor writes a cursor as the opaque `next` of a rollout list page. */
export const encodeRolloutCursor = (cursor: RolloutCursor): string => Buffer.from(JSON.stringify([cursor.createdAt, cursor.rolloutId])).toString('base64url');

/** decodeRolloutCursor reads a `next` back; undefined for anything that is not one. */
export function decodeRolloutCursor(text: string): RolloutCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return undefined;
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$/.test(value[0]) || value[1].length === 0 || value[1].length > 100) return undefined;
    return { createdAt: value[0], rolloutId: value[1] };
  } catch {
    return undefined;
  }
}

/** ListQuery is the query of GET /v1/rollouts; unknown parameters are refused. */
export const ListQuery = z.strictObject({
  limit: pageLimit(500),
  after: z
    .string()
    .max(400)
    .refine((text) => decodeRolloutCursor(text) !== undefined, 'must be the `next` of a previous page of this list')
    .optional()
    .meta({ description: 'the `next` of the previous page; default the newest rollout' }),
  plan: Name.optional().meta({ description: "only this plan's rollouts" }),
  state: z.enum(ROLLOUT_STATES).optional().meta({ description: 'only rollouts in this state' }),
});

/**
 * StatusQuery is the query of GET /v1/rollouts/:id: `live` (the default) asks the workflow,
 * falling back to the registry's snapshot when it does not answer in time; `snapshot` answers
 * from the snapshot alone, as of its `asOf`, without asking Temporal. The snapshot is written
 * with the trail's events, so what changes without an event (a site run's progress, an
 * evaluation whose verdict stayed) reaches it only with the next event.
 */
export const StatusQuery = z.strictObject({
  consistency: z
    .enum(['live', 'snapshot'])
    .default('live')
    .meta({ description: 'live: ask the workflow (the snapshot when it does not answer in 3 s); snapshot: the status as of the last stored event (asOf), without asking the workflow' }),
});

const versionMessage = (input: unknown) =>
  `must be a version number, a positive integer such as 1; ${input === undefined ? 'it is missing' : `got ${JSON.stringify(input)}`}`;

/** VersionParam is a plan version in a URL: a positive integer of at most PG_INTEGER_MAX, written in digits. */
export const VersionParam = z
  .string({ error: (issue) => versionMessage(issue.input) })
  .superRefine((value, ctx) => {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > PG_INTEGER_MAX) ctx.addIssue({ code: 'custom', message: versionMessage(value), input: value });
  })
  .transform(Number);

/** PlanDiffQuery is the query of GET /v1/plans/:name/diff. */
export const PlanDiffQuery = z.object({ from: VersionParam, to: VersionParam });
