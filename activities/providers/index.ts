import { createHash } from 'node:crypto';
import type { Provider, Providers } from '../../config/providers';
import type { ProviderAnswer } from '../../policy/pulled-evidence';
import { httpClient } from './http';
import { influxClient } from './influxdb';
import { prometheusClient } from './prometheus';
import { ProviderError, type ProviderClient, type PullRequest } from './pull';
import { sqlClient } from './sql';

export type { PullRequest } from './pull';

/**
 * PulledEvidence is one query's result as stored and shown: what was asked (query as run, its
 * parameters), what came back (value, samples, observedAt, SHA-256 of the raw answer) or why
 * nothing did (error). A result with an error or without a value is never a pass.
 */
export interface PulledEvidence extends ProviderAnswer {
  provider: string;
  kind: Provider['kind'];
  attempts: number;
}

/** Wait before the next attempt: 200 ms, then 400 ms. */
const BACKOFF_MS = 200;

export interface Puller {
  pull(request: PullRequest): Promise<PulledEvidence>;
  close(): Promise<void>;
}

function clientFor(provider: Provider): ProviderClient {
  switch (provider.kind) {
    case 'prometheus':
      return prometheusClient(provider);
    case 'sql':
      return sqlClient(provider);
    case 'influxdb':
      return influxClient(provider);
    case 'http':
      return httpClient(provider);
  }
}

/**
 * createPuller makes one client per configured provider, on first use. pull never throws:
 * every attempt has the provider's timeoutMs, a retryable failure (network, timeout, 5xx) is
 * tried again up to the provider's attempts, and what stays wrong comes back as `error`.
 */
export function createPuller(providers: Providers): Puller {
  const clients = new Map<string, ProviderClient>();
  return {
    async pull(request) {
      const name = request.source.provider;
      const provider = Object.prototype.hasOwnProperty.call(providers, name) ? providers[name] : undefined;
      const pulledAt = new Date().toISOString();
      const none = { value: null, samples: null, observedAt: null, answerSha256: null, pulledAt };
      if (!provider) {
        const known = Object.keys(providers);
        const listed = known.length === 0 ? 'none is configured' : `the worker has ${known.join(', ')}`;
        return { provider: name, kind: 'http', query: request.source.query, parameters: null, ...none, attempts: 0, error: `no metric provider "${name}" on this worker (${listed})` };
      }
      let client = clients.get(name);
      if (!client) {
        client = clientFor(provider);
        clients.set(name, client);
      }
      const prepared = client.prepare(request);
      const asked = { provider: name, kind: provider.kind, query: prepared.text, parameters: prepared.parameters };
      let error = '';
      for (let attempt = 1; attempt <= provider.attempts; attempt++) {
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 2)));
        const deadline = new AbortController();
        const timer = setTimeout(() => deadline.abort(), provider.timeoutMs);
        try {
          const answer = await client.run(prepared, deadline.signal);
          const answerSha256 = createHash('sha256').update(answer.raw).digest('hex');
          return { ...asked, value: answer.value, samples: answer.samples, observedAt: answer.observedAt, answerSha256, error: null, attempts: attempt, pulledAt };
        } catch (caught) {
          const retryable = caught instanceof ProviderError ? caught.retryable : true;
          error = deadline.signal.aborted ? `${provider.kind} provider "${name}" did not answer within ${provider.timeoutMs} ms` : (caught as Error).message;
          if (!retryable) return { ...asked, ...none, error, attempts: attempt };
        } finally {
          clearTimeout(timer);
        }
      }
      return { ...asked, ...none, error: `${error} (after ${provider.attempts} attempts)`, attempts: provider.attempts };
    },
    async close() {
      await Promise.allSettled([...clients.values()].map((client) => client.close?.()));
      clients.clear();
    },
  };
}
