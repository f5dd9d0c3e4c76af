import { z } from 'zod';
import { Instant } from './common';
import { CriterionVerdict } from './rollouts';

/** InboxKind is what an inbox item asks of the caller. */
export const INBOX_KINDS = ['stage-sign-off', 'site-sign-off', 'wave-sign-off', 'prerequisite', 'deferred-decision', 'calibration', 'held-stage', 'steady-state-review'] as const;
export const InboxKind = z.enum(INBOX_KINDS).meta({ id: 'InboxKind' });

export const InboxQuery = z.strictObject({
  kind: InboxKind.optional().meta({ description: 'only items of this kind' }),
  rolloutId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number<unknown>().int().min(1).max(500).default(100),
  after: z.string().max(400).optional().meta({ description: "the `next` of the previous page" }),
});
export type InboxQuery = z.infer<typeof InboxQuery>;

/** InboxItem is one thing the caller may act on now, with what to judge it by and where to act. */
export const InboxItem = z
  .object({
    id: z.string().meta({ description: 'stable while the item is open' }),
    kind: InboxKind,
    rolloutId: z.string(),
    plan: z.string(),
    planVersion: z.number().int(),
    stageId: z.string().optional(),
    site: z.string().optional(),
    wave: z.number().int().optional(),
    prerequisiteId: z.string().optional(),
    decisionId: z.string().optional(),
    proposalId: z.string().optional(),
    review: z.number().int().optional().meta({ description: "a steady-state review's number" }),
    title: z.string().meta({ description: 'what it is, in words' }),
    why: z.string().meta({ description: 'why it waits for the caller' }),
    since: Instant.meta({ description: 'since when it waits' }),
    deadline: Instant.optional().meta({ description: "the decision's deadline, or when a review is due to be signed, when one runs" }),
    roles: z.array(z.string()).meta({ description: 'the roles the action accepts that the caller holds' }),
    evidence: z
      .object({
        criteria: z.array(CriterionVerdict).optional(),
        recommendation: z.unknown().optional(),
        confidence: z.number().optional(),
        threshold: z.number().nullable().optional(),
      })
      .optional(),
    action: z.object({ method: z.literal('POST'), path: z.string() }).meta({ description: 'the API call that acts on it' }),
  })
  .meta({ id: 'InboxItem' });
export type InboxItem = z.infer<typeof InboxItem>;

export const InboxPage = z.object({ items: z.array(InboxItem), next: z.string().nullable() }).meta({ id: 'InboxPage' });
export type InboxPage = z.infer<typeof InboxPage>;
