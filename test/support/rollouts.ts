import { workflowIdFor } from '../../api/rollout-start';
import { trailQuery } from '../../workflows/rollout/messages';
import { eventually, type Harness, type HttpResult } from './harness';

/** prerequisitePlanYaml is a one-stage plan whose pilot waits for a data contract signed by a deployment lead. */
export function prerequisitePlanYaml(name: string): string {
  return `
name: ${name}
owner: test-lead
prerequisites:
  - id: data-contract
    kind: data-contract
    title: Data contract signed
    signedBy: deployment-lead
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1h
    approvals: [{ role: deployment-lead }]
`;
}

/** planYaml builds a small test plan: stages given as id → dependsOn, each lasting minDuration. */
export function planYaml(name: string, stages: Record<string, string[]>, minDuration = '1s', approvals = '[{ role: deployment-lead }]'): string {
  const lines = [`name: ${name}`, 'owner: test-lead', 'stages:'];
  for (const [id, dependsOn] of Object.entries(stages)) {
    lines.push(`  - id: ${id}`, `    title: Stage ${id}`, `    mode: pilot`, `    dependsOn: [${dependsOn.join(", ")}]`, `    minDuration: ${minDuration}`, `    approvals: ${approvals}`);
  }
  return `${lines.join('\n')}\n`;
}

/** uploadPlan uploads plan YAML (a new version, or one already stored) and returns its name and version. */
export async function uploadPlan(h: Harness, yaml: string): Promise<{ name: string; version: number }> {
  const upload = await h.http('POST', '/v1/plans', yaml);
  if (upload.status !== 201 && upload.status !== 200) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
  return { name: upload.body.name, version: upload.body.version };
}

/** startRollout uploads plan YAML and starts a rollout of it; returns the rollout id. */
export async function startRollout(h: Harness, yaml: string, rolloutId?: string): Promise<string> {
  const { name } = await uploadPlan(h, yaml);
  const started = await h.http('POST', '/v1/rollouts', { plan: name, ...(rolloutId ? { rolloutId } : {}) });
  if (started.status !== 201) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  return started.body.rolloutId as string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- status JSON as the API returns it
export type StatusBody = any;

/** waitForStage polls GET /v1/rollouts/:id until the stage is in state, and returns the status. */
export function waitForStage(h: Harness, rolloutId: string, stageId: string, state: string, timeoutMs?: number): Promise<StatusBody> {
  return eventually(
    async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      const stage = body.stages?.find((s: { id: string }) => s.id === stageId);
      return stage?.state === state ? body : undefined;
    },
    `stage ${stageId} of ${rolloutId} to be ${state}`,
    timeoutMs,
  );
}

/** waitForRollout polls until the rollout is in state. */
export function waitForRollout(h: Harness, rolloutId: string, state: string): Promise<StatusBody> {
  return eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
    return body.state === state ? body : undefined;
  }, `rollout ${rolloutId} to be ${state}`);
}

/** approve signs off a stage through the REST API as approver, a person holding deployment-lead unless roles say otherwise. */
export async function approve(h: Harness, rolloutId: string, stageId: string, approver = 'dana', extra: Record<string, unknown> = {}, roles?: string[]) {
  return h.http('POST', `/v1/rollouts/${rolloutId}/stages/${stageId}/approvals`, { decision: 'approve', ...extra }, await h.as(approver, roles));
}

/** reject rejects a stage through the REST API as approver, with a reason. */
export async function reject(h: Harness, rolloutId: string, stageId: string, approver: string, comment?: string) {
  return h.http('POST', `/v1/rollouts/${rolloutId}/stages/${stageId}/approvals`, { decision: 'reject', ...(comment ? { comment } : {}) }, await h.as(approver));
}

/** waitForSite polls the rollout until a site of its per-site stage stageId is in state, and returns the status. */
export function waitForSite(h: Harness, rolloutId: string, stageId: string, site: string, state: string, timeoutMs?: number): Promise<StatusBody> {
  return eventually(
    async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      const stage = body.stages?.find((s: { id: string }) => s.id === stageId);
      return stage?.sites?.find((s: { site: string }) => s.site === site)?.state === state ? body : undefined;
    },
    `site ${site} of ${rolloutId} to be ${state}`,
    timeoutMs,
  );
}

/** approveSite signs off one site of a per-site stage as approver (a person holding deployment-lead unless the plan says otherwise). */
export async function approveSite(h: Harness, rolloutId: string, stageId: string, site: string, approver: string): Promise<HttpResult> {
  return h.http('POST', `/v1/rollouts/${rolloutId}/stages/${stageId}/approvals`, { decision: 'approve', site }, await h.as(approver));
}

/** reportSiteMetric posts one sample of a metric observed now at one site, as the `mes-bridge` service unless `as` says otherwise. */
export async function reportSiteMetric(h: Harness, rolloutId: string, metric: string, site: string, value: number, as?: Record<string, string>): Promise<HttpResult> {
  const samples = [{ metric, value, observedAt: new Date().toISOString(), scope: { site } }];
  return h.http('POST', `/v1/rollouts/${rolloutId}/metrics`, { samples }, as ?? (await h.as('mes-bridge', [], 'service')));
}

/** TrailEvent is one event of a rollout's audit trail, as GET /v1/rollouts/:id/events answers it. */
export interface TrailEvent {
  seq: number;
  type: string;
  actor: string;
  stageId?: string;
  role?: string;
  reason?: string;
  requestId?: string;
  detail: Record<string, unknown>;
  occurredAt: string;
  recordedAt: string;
}

/** auditTrail fetches a rollout's whole audit trail in order, following the pages of GET /v1/rollouts/:id/events. */
export async function auditTrail(h: Harness, rolloutId: string): Promise<TrailEvent[]> {
  await trailWritten(h, rolloutId);
  const events: TrailEvent[] = [];
  for (let after = 0; ; ) {
    const page = await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500&after=${after}`);
    if (page.status !== 200) throw new Error(`events of ${rolloutId}: HTTP ${page.status}: ${JSON.stringify(page.body)}`);
    events.push(...(page.body.events as TrailEvent[]));
    if (page.body.next === null || page.body.next === undefined) return events;
    after = page.body.next as number;
  }
}

/**
 * trailWritten waits until the rollout's workflow has stored every audit event it recorded: the
 * trail follows the workflow's answers (docs/operations.md). A rollout without a workflow has nothing to wait for.
 */
export async function trailWritten(h: Harness, rolloutId: string): Promise<void> {
  const handle = h.temporal.workflow.getHandle(workflowIdFor(rolloutId));
  await eventually(async () => {
    const trail = await handle.query(trailQuery).catch(() => undefined);
    if (trail && trail.written < trail.recorded) throw new Error(`${trail.written} of ${trail.recorded} events written`);
    return true;
  }, `the trail of ${rolloutId}`);
}

/** eventTypes lists the types of a rollout's audit events in order. */
export async function eventTypes(h: Harness, rolloutId: string): Promise<string[]> {
  return (await auditTrail(h, rolloutId)).map((e) => e.type);
}
