import http from 'node:http';

/** LoadPhase is one run of load against one endpoint. */
export interface LoadPhase {
  /** latencies of every request, in ms. */
  latencies: number[];
  acknowledged: number;
  failed: number;
  seconds: number;
  /** cpuMs is the CPU time the servers' process spent during the phase, when measured. */
  cpuMs?: number;
  firstFailure?: string;
}

/** LoadResult summarises the phases of one endpoint. */
export interface LoadResult {
  requests: number;
  /** acknowledged answered 2xx; failed answered otherwise or not at all. */
  acknowledged: number;
  failed: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  /** cpuPerRequestMs is the servers' process CPU time per request. */
  cpuPerRequestMs: number;
  /** firstFailure describes one failure, to say why they happened. */
  firstFailure?: string;
}

interface LoadOptions {
  url: string;
  clients: number;
  seconds: number;
  headers?: Record<string, string>;
  /** body builds the JSON body of the n-th request of a client. */
  body: (client: number, n: number) => unknown;
}

/**
 * runLoad drives url with `clients` concurrent clients, each sending its next POST as soon as
 * the previous one is answered, for `seconds`. Connections are kept alive, one per client.
 */
export async function runLoad(options: LoadOptions): Promise<LoadPhase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const latencies: number[] = [];
  let acknowledged = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const end = started + options.seconds * 1000;

  const client = async (id: number) => {
    for (let n = 0; performance.now() < end; n += 1) {
      const payload = JSON.stringify(options.body(id, n));
      const sent = performance.now();
      const outcome = await post(agent, options.url, payload, options.headers ?? {});
      latencies.push(performance.now() - sent);
      if (outcome.status >= 200 && outcome.status < 300) acknowledged += 1;
      else {
        failed += 1;
        firstFailure ??= `${outcome.status} ${outcome.text.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, id) => client(id)));
  agent.destroy();
  return { latencies, acknowledged, failed, seconds: (performance.now() - started) / 1000, ...(firstFailure ? { firstFailure } : {}) };
}

/** summarize merges the phases of one endpoint: throughput over their total time, percentiles over all requests. */
export function summarize(phases: readonly LoadPhase[]): LoadResult {
  const latencies = phases.flatMap((phase) => phase.latencies).sort((a, b) => a - b);
  const seconds = phases.reduce((sum, phase) => sum + phase.seconds, 0);
  const firstFailure = phases.find((phase) => phase.firstFailure)?.firstFailure;
  return {
    requests: latencies.length,
    acknowledged: phases.reduce((sum, phase) => sum + phase.acknowledged, 0),
    failed: phases.reduce((sum, phase) => sum + phase.failed, 0),
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuPerRequestMs: phases.reduce((sum, phase) => sum + (phase.cpuMs ?? Number.NaN), 0) / latencies.length,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** percentile of sorted values, nearest rank. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function post(agent: http.Agent, url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (error) => resolve({ status: 0, text: error.message }));
      },
    );
    request.on('error', (error) => resolve({ status: 0, text: error.message }));
    request.end(body);
  });
}
