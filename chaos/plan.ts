/**
 * The plan every rollout of a fault run follows: a diamond a → (b, c) → d of short stages,
 * a readiness prerequisite before a, criteria evaluated every second, and sign-offs of two roles
 * (a quorum of safety and operations) on a and d.
 */
export const FAULT_PLAN_NAME = 'fault-run-diamond';

/** Who signs what: one member of each role; the driver signs as these people. */
export const PEOPLE = {
  lead: 'lead.one',
  data: 'data.one',
  safety: ['safe.one', 'safe.two'],
  operations: ['ops.one', 'ops.two'],
} as const;

/** The service principal that reports evidence. */
export const REPORTER = 'line-bridge';

export const METRIC = 'defect-rate';
/** Samples a stage needs before its criterion is conclusive. */
export const MIN_SAMPLES = 5;
/** The prerequisite gating stage a, signed by the data engineer. */
export const PREREQUISITE = 'data-contract';

/** STAGE_ROLES lists, per stage, the roles whose sign-off it needs (one person each). */
export const STAGE_ROLES: Record<string, readonly ('safety-officer' | 'operations')[]> = {
  a: ['safety-officer', 'operations'],
  b: ['operations'],
  c: ['safety-officer'],
  d: ['safety-officer', 'operations'],
};

/** faultPlanYaml renders the plan; stageSeconds is every stage's minimum duration. */
export function faultPlanYaml(stageSeconds: number): string {
  const dependsOn: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] };
  const stages = Object.entries(STAGE_ROLES).flatMap(([id, roles]) => [
    `  - id: ${id}`,
    `    title: Stage ${id.toUpperCase()}`,
    '    mode: pilot',
    ...(dependsOn[id]!.length > 0 ? [`    dependsOn: [${dependsOn[id]!.join(', ')}]`] : []),
    `    minDuration: ${stageSeconds}s`,
    '    evaluationInterval: 1s',
    '    criteria:',
    `      - { metric: ${METRIC}, threshold: 50, window: 1h, minSamples: ${MIN_SAMPLES} }`,
    '    approvals:',
    ...roles.map((role) => `      - { role: ${role} }`),
  ]);
  return [
    `name: ${FAULT_PLAN_NAME}`,
    `owner: ${PEOPLE.lead}`,
    'environment: factory',
    'description: The fault run plan, a diamond of four short stages.',
    'roles:',
    `  deployment-lead: { members: [${PEOPLE.lead}] }`,
    `  data-engineer: { members: [${PEOPLE.data}] }`,
    `  safety-officer: { members: [${PEOPLE.safety.join(', ')}] }`,
    `  operations: { members: [${PEOPLE.operations.join(', ')}] }`,
    'metrics:',
    `  ${METRIC}: { unit: ppm, direction: lower-is-better }`,
    'prerequisites:',
    `  - { id: ${PREREQUISITE}, kind: data-contract, title: Sensor data contract, before: a, signedBy: data-engineer }`,
    'stages:',
    ...stages,
    '',
  ].join('\n');
}
