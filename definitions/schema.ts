import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * The rollout plan format. This zod schema is the single source of truth: the TypeScript
 * types, the JSON Schema (definitions/plan.schema.json) and API validation all derive from it.
 */

/** Identifier: lower-case letters, digits and dashes, starting with a letter or digit. */
const Identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (at most 63), starting with a letter or digit');

/** Duration: `6w`, `14d`, `36h`, `90m`, `30s`, `500ms`, combinations such as `1d12h`, or ISO 8601 (`P6W`, `PT36H`). */
export const Duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, {
    message: 'is not a duration: use e.g. 6w, 14d, 36h, 90m, 30s, or ISO 8601 such as P6W or PT36H',
  });
export type Duration = z.infer<typeof Duration>;

/** Approval is one sign-off requirement: `count` distinct people holding `role`. */
export const Approval = z.strictObject({
  /** role is the role whose members may sign off. */
  role: Identifier,
  /** count is how many distinct people of that role must approve; default 1. */
  count: z.number().int().min(1).max(50).default(1),
});
export type Approval = z.infer<typeof Approval>;

/** Stage is one step of the rollout: it starts when every stage it depends on has passed. */
export const Stage = z.strictObject({
  /** id is unique within the plan and names the stage in the API and the audit trail. */
  id: Identifier,
  /** title is the human-readable name. */
  title: z.string().min(1),
  /** dependsOn lists the ids of stages that must pass before this one starts; default none. */
  dependsOn: z.array(Identifier).default([]),
  /** minDuration is how long the stage runs at least before it may pass, e.g. `6w`. */
  minDuration: Duration,
  /** approvals are the sign-offs the stage needs, all of them, once minDuration has elapsed. */
  approvals: z.array(Approval).min(1, 'a stage needs at least one approval'),
});
export type Stage = z.infer<typeof Stage>;

/** Plan is a whole rollout definition, as written in YAML by a deployment lead. */
export const Plan = z.strictObject({
  /** name identifies the plan; uploads with the same name become its versions. */
  name: Identifier,
  /** owner is the accountable person or role. */
  owner: z.string().min(1),
  /** description says what is being rolled out and why. */
  description: z.string().optional(),
  /** stages form a directed acyclic graph through their dependsOn lists. */
  stages: z.array(Stage).min(1, 'a plan needs at least one stage'),
});
export type Plan = z.infer<typeof Plan>;
