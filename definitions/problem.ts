/**
 * PlanProblem is a problem found in a parsed plan by a check that does not know the YAML
 * source (the cross-field checks and the lint rules); the loader turns it into a PlanIssue
 * with line and column.
 */
export type PlanProblem = {
  /** path names the problem's place, e.g. `['stages', 2, 'onFailure', 'rollback']`. */
  path: Array<string | number>;
  /** at is the node to point at when it differs from path, e.g. the stage for a missing key. */
  at?: Array<string | number>;
  /** atKey points at the key of at's (or path's) last step rather than at its value. */
  atKey?: boolean;
  /** message starts with the formatted path, like every loader message. */
  message: string;
};
