import type { Pool } from 'pg';
import { BARE_METRIC } from '../bare/activities';

/**
 * What the engine benchmarks do to a rollout from outside: plans of K chained stages, evidence
 * that makes their criterion pass, and waiting for a state by polling, the way a client would.
 */

/**
 * stageLoopPlan is K stages, each depending on the one before: a 1 s minimum duration, one
 * criterion over the bench metric evaluated every second, and one sign-off by a deployment lead.
 * With `criteria: false` the stages have none (their duration and sign-off decide alone).
 */
export function stageLoopPlan(name: string, stages: number, options: { minDuration?: string; criteria?: boolean } = {}): string {
  const lines = [`name: ${name}`, 'owner: bench', 'metrics:', `  ${BARE_METRIC}: { unit: '%', direction: higher-is-better }`, 'stages:'];
  for (let k = 1; k <= stages; k += 1) {
    lines.push(
      `  - id: s${k}`,
      `    title: Stage ${k}`,
      '    mode: pilot',
      `    dependsOn: [${k > 1 ? `s${k - 1}` : ''}]`,
      `    minDuration: ${options.minDuration ?? '1s'}`,
      ...(options.criteria === false
        ? []
        : ['    evaluationInterval: 1s', `    criteria: [{ metric: ${BARE_METRIC}, threshold: 0.5, window: 1h }]`]),
      '    approvals: [{ role: deployment-lead }]',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * insertSamples stores one passing sample of the bench metric every `everyMs` from now on for
 * `horizonMs`, for a rollout of rollgate (table metric_samples) or of the bare workflow: each
 * stage's window then holds samples whenever it is read.
 */
export async function insertSamples(pool: Pool, system: 'rollgate' | 'bare', rolloutId: string, everyMs: number, horizonMs: number): Promise<void> {
  const count = Math.ceil(horizonMs / everyMs);
  const sql =
    system === 'rollgate'
      ? `INSERT INTO metric_samples (rollout_id, metric, value, observed_at, reported_by)
           SELECT $1, $2, 1, now() + g * $3 * interval '1 millisecond', 'bench' FROM generate_series(0, $4) AS g`
      : `INSERT INTO bench_bare_samples (rollout_id, metric, value, observed_at)
           SELECT $1, $2, 1, now() + g * $3 * interval '1 millisecond' FROM generate_series(0, $4) AS g`;
  await pool.query(sql, [rolloutId, BARE_METRIC, everyMs, count]);
}

/**
 * pollUntil calls check every `everyMs` until it returns true, and returns the time
 * (performance.now()) of the check that did; it throws after timeoutMs.
 */
export async function pollUntil(check: () => Promise<boolean>, everyMs: number, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
