import { eventually, type Harness } from './harness';

/** planYaml builds a small test plan: stages given as id → dependsOn, each lasting minDuration. */
export function planYaml(name: string, stages: Record<string, string[]>, minDuration = '1s', approvals = '[{ role: deployment-lead }]'): string {
  const lines = [`name: ${name}`, 'owner: test-lead', 'stages:'];
  for (const [id, dependsOn] of Object.entries(stages)) {
    lines.push(`  - id: ${id}`, `    title: Stage ${id}`, `    mode: pilot`, `    dependsOn: [${dependsOn.join(", ")}]`, `    minDuration: ${minDuration}`, `    approvals: ${approvals}`);
  }
  return `${lines.join('\n')}\n`;
}

/** startRollout uploads plan YAML and starts a rollout of it; returns the rollout id. */
export async function startRollout(h: Harness, yaml: string, rolloutId?: string): Promise<string> {
  const upload = await h.http('POST', '/v1/plans', yaml);
  if (upload.status !== 201 && upload.status !== 200) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
  const started = await h.http('POST', '/v1/rollouts', { plan: upload.body.name, ...(rolloutId ? { rolloutId } : {}) });
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
