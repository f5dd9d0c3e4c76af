/**
 * PulledEvidenceSummary is what a criterion's verdict rested on when its metric was pulled from
 * a provider: the query as run, its bound parameters, the answer (value, sample count, the
 * provider's time) and the SHA-256 of the raw answer, or the error that made it inconclusive.
 */
export interface PulledEvidenceSummary extends ProviderAnswer {
  part: 'window' | 'baseline';
  provider: string;
}

/** ProviderAnswer is one query to a provider as run, and what came back: the fields every record of a pull shares. */
export interface ProviderAnswer {
  query: string;
  parameters: unknown;
  value: number | null;
  samples: number | null;
  observedAt: string | null;
  answerSha256: string | null;
  error: string | null;
  pulledAt: string;
}
