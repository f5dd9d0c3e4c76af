import type { Attempt } from './api-client';
import type { Findings } from './checks';
import type { DriverFindings } from './driver';
import type { FaultInjector } from './faults';

/** After an outage ends, 503s may go on this long while pools and connections recover. */
export const OUTAGE_GRACE_MS = 10_000;

/** Figures are the numbers a fault run reports; failed lists why it failed, empty when it passed. */
export interface Figures {
  /** seconds from the first rollout's start until every rollout had ended. */
  seconds?: number;
  rollouts: number;
  completed: number;
  faults: Record<string, number>;
  lost: number;
  duplicated: number;
  stuck: number;
  disagreements: number;
  crashes: number;
  requests: number;
  /** serverErrors counts 5xx answers by status. */
  serverErrors: Record<string, number>;
  unavailable: number;
  unavailableOutsideOutages: number;
  unavailableWithoutRetryAfter: number;
  networkErrors: number;
  startConflicts: number;
  unexpected: number;
  /** flaggedStuck counts rollouts the API flagged as stuck at some time (informative: they may have recovered). */
  flaggedStuck: number;
  failed: string[];
}

export function figures(options: {
  findings: Findings;
  driver: DriverFindings;
  attempts: readonly Attempt[];
  faults: FaultInjector;
  crashes: readonly string[];
}): Figures {
  const { findings, driver, attempts, faults, crashes } = options;
  const serverErrors: Record<string, number> = {};
  for (const attempt of attempts) if (attempt.status >= 500) serverErrors[attempt.status] = (serverErrors[attempt.status] ?? 0) + 1;
  const unavailable = attempts.filter((attempt) => attempt.status === 503);
  const result: Figures = {
    rollouts: findings.rollouts,
    completed: findings.completed,
    faults: Object.fromEntries(faults.injected),
    lost: findings.lost.length,
    duplicated: findings.duplicated.length,
    stuck: findings.stuck.length,
    disagreements: findings.disagreements.length,
    crashes: crashes.length,
    requests: attempts.length,
    serverErrors,
    unavailable: unavailable.length,
    unavailableOutsideOutages: unavailable.filter((attempt) => !faults.during(attempt.at, OUTAGE_GRACE_MS)).length,
    unavailableWithoutRetryAfter: unavailable.filter((attempt) => !attempt.retryAfter).length,
    networkErrors: attempts.filter((attempt) => attempt.status === 0).length,
    startConflicts: driver.startConflicts.length,
    unexpected: driver.unexpected.length,
    flaggedStuck: driver.flaggedStuck.size,
    failed: [],
  };
  const other5xx = Object.entries(serverErrors).filter(([status]) => status !== '503');
  const fail = (condition: boolean, why: string) => void (condition && result.failed.push(why));
  fail(result.lost > 0, `${result.lost} acknowledged writes lost`);
  fail(result.duplicated > 0, `${result.duplicated} duplicates`);
  fail(result.stuck > 0, `${result.stuck} rollouts did not complete`);
  fail(result.disagreements > 0, `${result.disagreements} rollouts where the API and Temporal disagree`);
  fail(result.crashes > 0, `${result.crashes} processes died on their own`);
  fail(other5xx.length > 0, `5xx other than 503: ${other5xx.map(([status, n]) => `${n}× ${status}`).join(', ')}`);
  fail(result.unavailableOutsideOutages > 0, `${result.unavailableOutsideOutages} 503s outside any outage`);
  fail(result.unavailableWithoutRetryAfter > 0, `${result.unavailableWithoutRetryAfter} 503s without Retry-After`);
  fail(result.startConflicts > 0, `${result.startConflicts} retried rollout starts answered 409`);
  fail(result.unexpected > 0, `${result.unexpected} unexpected answers`);
  return result;
}

/** table renders the figures as aligned rows. */
export function table(f: Figures): string {
  const faults = Object.entries(f.faults)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const errors = Object.entries(f.serverErrors)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    ['rollouts', `${f.rollouts} (${f.completed} completed${f.seconds === undefined ? '' : ` in ${f.seconds} s`})`],
    ['faults', faults || 'none'],
    ['lost', String(f.lost)],
    ['duplicated', String(f.duplicated)],
    ['stuck', String(f.stuck)],
    ['API ≠ Temporal', String(f.disagreements)],
    ['crashes', String(f.crashes)],
    ['requests', `${f.requests} attempts, ${f.networkErrors} without answer`],
    ['5xx by status', errors || 'none'],
    ['503s', `${f.unavailable} (${f.unavailableOutsideOutages} outside outages, ${f.unavailableWithoutRetryAfter} without Retry-After)`],
    ['start retried → 409', String(f.startConflicts)],
    ['unexpected answers', String(f.unexpected)],
    ['flagged stuck by API', `${f.flaggedStuck} (while running; not a failure by itself)`],
    ['result', f.failed.length === 0 ? 'PASS' : `FAIL: ${f.failed.join('; ')}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

/** details lists the individual findings behind the figures, at most limit of each. */
export function details(findings: Findings, driver: DriverFindings, crashes: readonly string[], attempts: readonly Attempt[], limit = 10): string {
  const sections: [string, readonly string[]][] = [
    ['stuck', findings.stuck],
    ['lost', findings.lost],
    ['duplicated', findings.duplicated],
    ['API ≠ Temporal', findings.disagreements],
    ['crashes', crashes],
    ['retried starts answered 409', driver.startConflicts],
    ['unexpected answers', driver.unexpected],
    ['5xx other than 503', groupServerErrors(attempts)],
  ];
  return sections
    .filter(([, items]) => items.length > 0)
    .map(([name, items]) => [`${name}:`, ...items.slice(0, limit).map((item) => `  ${item}`), ...(items.length > limit ? [`  … and ${items.length - limit} more`] : [])].join('\n'))
    .join('\n');
}

/** groupServerErrors summarises the 5xx answers other than 503 by request kind, status and problem. */
function groupServerErrors(attempts: readonly Attempt[]): string[] {
  const groups = new Map<string, { n: number; first: number; last: number }>();
  for (const attempt of attempts) {
    if (attempt.status < 500 || attempt.status === 503) continue;
    const key = `${attempt.kind}: ${attempt.status} ${attempt.problem ?? ''}`;
    const group = groups.get(key) ?? { n: 0, first: attempt.at, last: attempt.at };
    groups.set(key, { n: group.n + 1, first: Math.min(group.first, attempt.at), last: Math.max(group.last, attempt.at) });
  }
  const time = (t: number) => new Date(t).toISOString().slice(11, 23);
  return [...groups].map(([key, { n, first, last }]) => `${n}× ${key} (${time(first)}–${time(last)})`);
}
