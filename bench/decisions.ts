import { runLoad, summarize, type LoadPhase, type LoadResult } from './support/load';
import { benchDecision, startBenchStack } from './support/stack';
import { numericOptions } from './support/options';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of the decision hot path: POST /v1/rollouts/:id/decisions on the automatic path,
 * against a bare express endpoint that INSERTs the same request's fields in one statement, in
 * the same run, on the same PostgreSQL. A third endpoint does the API's token lookup before
 * that INSERT, to show how much of the difference is authentication; a fourth answers without
 * any database, the most express and the load client do on this machine, which says whether
 * the p99 goal can be met here at all. Everything is real and throwaway: a new database, a
 * Temporal dev server, a worker, the API in a process of its own. Both servers have pools of
 * the same size (db/pool.ts) and the same keep-alive load client (support/load.ts).
 *
 *   npm run bench -- decisions [--duration=10] [--clients=200] [--warmup=2] [--slices=5]
 *   npx tsx bench/decisions.ts [same options]
 *
 * Each endpoint gets `duration` seconds of load in all, in `slices` slices taken in turns
 * (A B C D, then D C B A, …), so a machine whose load drifts during the run affects all alike.
 *
 * Goals: at least 0.8× the bare endpoint's throughput, p99 at most 25 ms, no lost records
 * (every acknowledged request has its row). Exits 1 when a record is lost or a request failed.
 */

const GOALS = { ratio: 0.8, p99Ms: 25 } as const;

interface Options {
  duration: number;
  clients: number;
  warmup: number;
  slices: number;
}

function parseOptions(argv: string[]): Options {
  return numericOptions(argv, { duration: 10, clients: 200, warmup: 2, slices: 5 });
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const stack = await startBenchStack(log);
  try {
    const { pool, servers, service, rolloutId } = stack;
    await pool.query(
      `CREATE TABLE bench_bare (decision_id text PRIMARY KEY, rollout_id text NOT NULL, kind text NOT NULL, confidence double precision NOT NULL,
         irreversible boolean NOT NULL, decide_by timestamptz NOT NULL, recommendation jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );

    const decideBy = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const decision = (phase: string) => (client: number, n: number) => benchDecision(decideBy, `${phase}-${client}-${n}`);
    const endpoints = [
      { name: 'bare express, one INSERT', url: `${servers.bare}/bare/${rolloutId}/decisions`, headers: {}, prefix: 'bare' },
      { name: 'bare + token lookup + INSERT', url: `${servers.bare}/bare-auth/${rolloutId}/decisions`, headers: service, prefix: 'auth' },
      { name: 'POST /v1/rollouts/:id/decisions', url: `${servers.api}/v1/rollouts/${rolloutId}/decisions`, headers: service, prefix: 'api' },
      { name: 'express alone, no database', url: `${servers.bare}/ceiling/${rolloutId}/decisions`, headers: {}, prefix: 'ceiling' },
    ];
    const phases = endpoints.map(() => [] as LoadPhase[]);
    const cpu = async () => {
      const usage = (await (await fetch(`${servers.bare}/cpu`)).json()) as { user: number; system: number };
      return (usage.user + usage.system) / 1000;
    };
    const load = async (index: number, seconds: number, label: string) => {
      const endpoint = endpoints[index]!;
      const before = await cpu();
      const phase = await runLoad({ url: endpoint.url, clients: options.clients, seconds, headers: endpoint.headers, body: decision(`${endpoint.prefix}-${label}`) });
      return { ...phase, cpuMs: (await cpu()) - before };
    };

    log(`warming up: ${options.warmup} s per endpoint`);
    const warm: LoadPhase[] = [];
    for (const index of endpoints.keys()) warm.push(await load(index, options.warmup, 'warm'));
    log(`measuring: ${options.duration} s per endpoint in ${options.slices} slices, ${options.clients} clients`);
    for (let slice = 0; slice < options.slices; slice += 1) {
      const order = slice % 2 === 0 ? [...endpoints.keys()] : [...endpoints.keys()].reverse();
      for (const index of order) phases[index]!.push(await load(index, options.duration / options.slices, `s${slice}`));
    }
    const results = phases.map(summarize);
    const [bare, auth, api, ceiling] = results as [LoadResult, LoadResult, LoadResult, LoadResult];

    const count = async (sql: string, values: unknown[] = []) => Number((await pool.query<{ n: string }>(sql, values)).rows[0]!.n);
    const acknowledged = (index: number) => warm[index]!.acknowledged + phases[index]!.reduce((sum, phase) => sum + phase.acknowledged, 0);
    const storedDecisions = await count('SELECT count(*) AS n FROM decisions WHERE rollout_id = $1', [rolloutId]);
    const autoDecisions = await count("SELECT count(*) AS n FROM decisions WHERE rollout_id = $1 AND disposition = 'auto'", [rolloutId]);
    const storedBare = await count('SELECT count(*) AS n FROM bench_bare');
    const ackDecisions = acknowledged(2);
    const ackBare = acknowledged(0) + acknowledged(1);
    const lost = ackDecisions - storedDecisions;
    const lostBare = ackBare - storedBare;
    const ratio = api.throughput / bare.throughput;

    const lines = [
      '',
      `rollgate decision hot path: ${options.clients} concurrent clients, ${options.duration} s per endpoint (${options.slices} slices, in turns) after ${options.warmup} s warm-up each`,
      '',
      row('endpoint', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'failed'),
      ...endpoints.map((endpoint, index) => {
        const result = results[index]!;
        return row(endpoint.name, result.requests, result.throughput.toFixed(0), result.p50.toFixed(2), result.p99.toFixed(2), result.cpuPerRequestMs.toFixed(3), result.failed);
      }),
      '',
      `throughput ratio  ${ratio.toFixed(2)}× the bare endpoint (goal ≥ ${GOALS.ratio}×: ${verdict(ratio >= GOALS.ratio)}); ` +
        `${(api.throughput / auth.throughput).toFixed(2)}× bare + token lookup`,
      `decisions p99     ${api.p99.toFixed(2)} ms (goal ≤ ${GOALS.p99Ms} ms: ${verdict(api.p99 <= GOALS.p99Ms)}); ` +
        `by Little's law ${options.clients} clients at ${api.throughput.toFixed(0)} req/s wait ${((options.clients / api.throughput) * 1000).toFixed(0)} ms on average`,
      p99Attainability(options.clients, ceiling),
      `records           decisions: ${ackDecisions} acknowledged, ${storedDecisions} stored (${autoDecisions} auto), ${lost} lost; ` +
        `bare: ${ackBare} acknowledged, ${storedBare} stored, ${lostBare} lost (${verdict(lost === 0 && lostBare === 0)})`,
      ...results.filter((result) => result.firstFailure).map((result) => `first failure: ${result.firstFailure}`),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    return lost === 0 && lostBare === 0 && results.every((result) => result.failed === 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/**
 * p99Attainability says whether the p99 goal can be met here at all. Express answering without
 * any database bounds what any endpoint of this stack does on this machine with these clients:
 * when even its p99 is over the goal, no endpoint meets it. With closed-loop clients the mean
 * latency is clients / throughput (Little's law), so a mean within the goal needs at least
 * clients / goal requests a second.
 */
function p99Attainability(clients: number, ceiling: LoadResult): string {
  const needed = clients / (GOALS.p99Ms / 1000);
  const reached = `express alone, without a database, answers at p99 ${ceiling.p99.toFixed(2)} ms and ${ceiling.throughput.toFixed(0)} req/s here`;
  if (ceiling.p99 <= GOALS.p99Ms) return `p99 goal          attainable here: ${reached}`;
  return (
    `p99 goal          out of reach on this machine with ${clients} clients, whatever the endpoint does: ${reached} ` +
    `(a mean within ${GOALS.p99Ms} ms alone needs ${needed.toFixed(0)} req/s by Little's law)`
  );
}

function row(...cells: Array<string | number>): string {
  const [name, ...rest] = cells.map(String);
  return `${name!.padEnd(34)}${rest.map((cell) => cell.padStart(12)).join('')}`;
}

runBenchmark(main);
