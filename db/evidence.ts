/**
 * What the evidence tables share (migration files under db/migrations): samples (db/samples.ts),
 * recommendations with their outcomes, feedback and missed events (db/recommendations.ts), the
 * window aggregates criteria are judged on (db/derived-metrics.ts) and the stored evaluations
 * (db/evaluations.ts). Every row is a fact with its own time (observedAt, issuedAt, at); which
 * stage it counts toward is decided only when a window is read. Windows are half-open:
 * from <= t < to.
 */

/** EvidenceScope says where a sample, recommendation or event was observed. */
export interface EvidenceScope {
  site?: string;
  line?: string;
  shift?: string;
  lane?: string;
  carrier?: string;
}

/** Reporter is who sent evidence (the authenticated principal) and in which API request. */
export interface Reporter {
  reportedBy: string;
  requestId?: string;
}

/** iso renders a timestamp column as ISO 8601. */
export const iso = (value: Date | string): string => new Date(value).toISOString();
