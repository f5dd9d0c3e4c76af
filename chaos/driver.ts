import type { ApiClient } from './api-client';
import { sleep } from './api-client';
import { FAULT_PLAN_NAME, METRIC, MIN_SAMPLES, PEOPLE, PREREQUISITE, STAGE_ROLES } from './plan';

/** How often a rollout's driver looks at its status. */
const POLL_MS = 750;
/** Samples reported per stage attempt: a few more than the criterion needs. */
const SAMPLES_PER_STAGE = MIN_SAMPLES + 1;
/** How long a started rollout may be unknown to the API (404) before the driver gives up on it. */
const MISSING_GIVE_UP_MS = 15_000;

/** Tokens are the bearer tokens the driver acts with, by principal name. */
export type Tokens = Record<string, string>;

/** Acknowledged is everything the API acknowledged: each must be recorded exactly once. */
export interface Acknowledged {
  /** approvals: `rollout|stage|attempt|actor`. */
  approvals: Set<string>;
  /** prerequisites: `rollout|prerequisite|actor`. */
  prerequisites: Set<string>;
  /** samples: `rollout|sampleId`. */
  samples: Set<string>;
}

/** DriverFindings are what the driver saw go wrong while it drove. */
export interface DriverFindings {
  /** startConflicts are retried starts answered 409 although the first try had no answer. */
  startConflicts: string[];
  /** unexpected are answers that are neither success nor an expected refusal, e.g. 400. */
  unexpected: string[];
  /** flaggedStuck: rollouts whose status said `stuck` at some point, with the message (rollout → message). */
  flaggedStuck: Map<string, string>;
}

export function emptyDriverFindings(): DriverFindings {
  return { startConflicts: [], unexpected: [], flaggedStuck: new Map() };
}

export function emptyAcknowledged(): Acknowledged {
  return { approvals: new Set(), prerequisites: new Set(), samples: new Set() };
}

export interface DriveOptions {
  api: ApiClient;
  tokens: Tokens;
  acknowledged: Acknowledged;
  findings: DriverFindings;
  /** deadline (epoch ms) after which the driver gives up on the rollout. */
  deadline: number;
}

interface StageView {
  id: string;
  state: string;
  attempt: number;
}

/**
 * driveRollout starts one rollout and takes it to its end the way its people and systems would:
 * the data engineer signs the prerequisite, the line reports samples while a stage runs, and one
 * member of each required role signs the stage off once it awaits approval. Every write carries
 * an idempotency key (or sample ids), so a retry counts once. Returns the last state it saw.
 */
export async function driveRollout(rolloutId: string, options: DriveOptions): Promise<string> {
  const { api, tokens, acknowledged, findings } = options;
  const started = await api.call('start', 'POST', '/v1/rollouts', {
    token: tokens[PEOPLE.lead]!,
    body: { plan: FAULT_PLAN_NAME, rolloutId },
    headers: { 'x-request-id': `start-${rolloutId}` },
  });
  if (started?.status === 409 && started.attempts > 1) findings.startConflicts.push(rolloutId);
  // 201 started it; 200 is the answer to a retry of a start that had gone through.
  else if (started?.status !== 201 && started?.status !== 200) {
    // Not retried (only 503 and no answer are): the rollout did not start, and the checks say so.
    findings.unexpected.push(`start ${rolloutId}: ${started?.status ?? 'no answer'} ${JSON.stringify(started?.body ?? '').slice(0, 200)}`);
    return 'not started';
  }

  const reported = new Set<string>();
  let state = 'unknown';
  let missingSince: number | undefined;
  while (Date.now() < options.deadline) {
    const status = await api.call('status', 'GET', `/v1/rollouts/${rolloutId}`, { token: tokens[PEOPLE.lead]!, budgetMs: 30_000 });
    // A rollout the API does not know although its start was answered stays unknown: the checks name it.
    missingSince = status?.status === 404 ? (missingSince ?? Date.now()) : undefined;
    if (missingSince !== undefined && Date.now() - missingSince > MISSING_GIVE_UP_MS) return 'unknown to the API';
    if (status?.status === 200) {
      state = status.body.state as string;
      const stuck = status.body.stuck as { message?: string } | undefined;
      if (stuck && !findings.flaggedStuck.has(rolloutId)) findings.flaggedStuck.set(rolloutId, stuck.message ?? '');
      if (state === 'completed' || state === 'aborted') return state;
      const actions: Promise<void>[] = [];
      const prerequisite = (status.body.prerequisites as { id: string; signed?: unknown }[]).find((p) => p.id === PREREQUISITE);
      const prerequisiteKey = `${rolloutId}|${PREREQUISITE}|${PEOPLE.data}`;
      if (prerequisite && !prerequisite.signed && !acknowledged.prerequisites.has(prerequisiteKey)) {
        actions.push(signPrerequisite(rolloutId, options, prerequisiteKey));
      }
      for (const stage of status.body.stages as StageView[]) {
        if (stage.state === 'running' && !reported.has(`${stage.id}.${stage.attempt}`)) {
          actions.push(reportSamples(rolloutId, stage, options).then((ok) => void (ok && reported.add(`${stage.id}.${stage.attempt}`))));
        }
        if (stage.state === 'awaiting-approval') {
          for (const role of STAGE_ROLES[stage.id] ?? []) actions.push(signOff(rolloutId, stage, approverFor(rolloutId, role), options));
        }
      }
      await Promise.all(actions);
    }
    await sleep(POLL_MS);
  }
  return state;
}

/** approverFor picks the member of role who signs this rollout, spreading rollouts over both members. */
function approverFor(rolloutId: string, role: 'safety-officer' | 'operations'): string {
  const members = role === 'safety-officer' ? PEOPLE.safety : PEOPLE.operations;
  const n = [...rolloutId].reduce((sum, char) => sum + char.charCodeAt(0), 0);
  return members[n % members.length]!;
}

async function signOff(rolloutId: string, stage: StageView, approver: string, options: DriveOptions): Promise<void> {
  const { api, tokens, acknowledged, findings } = options;
  const key = `${rolloutId}|${stage.id}|${stage.attempt}|${approver}`;
  if (acknowledged.approvals.has(key)) return;
  const attemptKey = `${rolloutId}.${stage.id}.${stage.attempt}.${approver}`;
  const answer = await api.call('approval', 'POST', `/v1/rollouts/${rolloutId}/stages/${stage.id}/approvals`, {
    token: tokens[approver]!,
    body: { decision: 'approve' },
    headers: { 'idempotency-key': attemptKey },
  });
  if (answer?.status === 200) acknowledged.approvals.add(key);
  else if (answer !== undefined && answer.status !== 409) {
    findings.unexpected.push(`approval ${attemptKey}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
  }
  // 409 (the status the driver read was stale, e.g. from a snapshot): the next poll tries again.
}

async function signPrerequisite(rolloutId: string, options: DriveOptions, key: string): Promise<void> {
  const { api, tokens, acknowledged, findings } = options;
  const answer = await api.call('prerequisite', 'POST', `/v1/rollouts/${rolloutId}/prerequisites/${PREREQUISITE}/sign-offs`, {
    token: tokens[PEOPLE.data]!,
    body: { evidence: 'https://wiki.example.com/fault-run/data-contract' },
    headers: { 'idempotency-key': `${rolloutId}.${PREREQUISITE}` },
  });
  if (answer?.status === 200) acknowledged.prerequisites.add(key);
  else if (answer !== undefined && answer.status !== 409) findings.unexpected.push(`prerequisite ${rolloutId}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
}

async function reportSamples(rolloutId: string, stage: StageView, options: DriveOptions): Promise<boolean> {
  const { api, tokens, acknowledged, findings } = options;
  const observedAt = new Date().toISOString();
  const samples = Array.from({ length: SAMPLES_PER_STAGE }, (_, i) => ({
    metric: METRIC,
    value: 10 + i,
    observedAt,
    sampleId: `${stage.id}.${stage.attempt}.${i}`,
  }));
  const answer = await api.call('metrics', 'POST', `/v1/rollouts/${rolloutId}/metrics`, { token: tokens.reporter!, body: { samples } });
  if (answer?.status === 200 || answer?.status === 201) {
    for (const sample of samples) acknowledged.samples.add(`${rolloutId}|${sample.sampleId}`);
    return true;
  }
  if (answer !== undefined) findings.unexpected.push(`metrics ${rolloutId}/${stage.id}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
  return false;
}
