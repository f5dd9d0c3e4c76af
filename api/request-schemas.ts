import { z } from 'zod';

/** RolloutId: letters, digits, dot, dash and underscore; at most 100 characters. */
const RolloutId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be letters, digits, ".", "_" or "-" (at most 100), starting with a letter or digit');

/** StartRolloutRequest is the body of POST /v1/rollouts. */
export const StartRolloutRequest = z.strictObject({
  /** plan is the plan's name. */
  plan: z.string().min(1),
  /** version pins a plan version; default the latest. */
  version: z.number().int().positive().optional(),
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
    role: z.string().min(1).optional(),
    comment: z.string().trim().max(4000).optional(),
  })
  .refine((body) => body.decision !== 'reject' || Boolean(body.comment), {
    path: ['comment'],
    message: 'a rejection needs a reason in comment',
  });
export type StageDecisionRequest = z.infer<typeof StageDecisionRequest>;

/** OverrideBody is the body of POST /v1/rollouts/:id/stages/:stageId/overrides. */
export const OverrideBody = z.strictObject({
  site: SiteName.optional(),
  reason: z.string().trim().min(1, 'an override needs a reason').max(4000),
  recommendationId: z.string().min(1).max(200).optional(),
});

/** ResolutionBody is the body of POST /v1/rollouts/:id/stages/:stageId/resolution. */
export const ResolutionBody = z.strictObject({
  site: SiteName.optional(),
  choice: z.enum(['retry-window', 'rollback', 'abort']),
  /** to is the upstream stage a rollback re-enters; default the plan's onFailure rollback target. */
  to: z.string().min(1).optional(),
  reason: z.string().trim().min(1, 'a resolution needs a reason').max(4000),
});

/** PrerequisiteSignOffBody is the body of POST /v1/rollouts/:id/prerequisites/:prerequisiteId/sign-offs. */
export const PrerequisiteSignOffBody = z.strictObject({
  evidence: z.url().optional(),
  comment: z.string().trim().max(4000).optional(),
});

/** OperatorActionRequest is the optional body of pause, resume and abort. */
export const OperatorActionRequest = z.strictObject({
  reason: z.string().trim().max(4000).optional(),
});

/** IdempotencyKey is the optional Idempotency-Key header: a retry with the same key counts once. */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1–200 letters, digits, ".", "_", ":" or "-"');

/** pageLimit is a list endpoint's `limit` query parameter: how many items a page has, 1 to max, default 100. */
export const pageLimit = (max: number) => z.coerce.number().int().min(1).max(max).default(100);

/** PageAfter is a list endpoint's `after` query parameter: the page starts after this position (seq), default the start. */
export const PageAfter = z.coerce.number().int().min(0).default(0);

/** Paging for list endpoints. */
export const ListQuery = z.object({
  limit: pageLimit(500),
  after: PageAfter,
  plan: z.string().optional(),
  state: z.string().optional(),
});
