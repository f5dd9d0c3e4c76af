/**
 * generatePlan writes a realistic plan of `count` stages as YAML: a role map, a metric catalog
 * with a guardrail, readiness prerequisites, and stages in pilot → shadow → supervised →
 * autonomous order, each with criteria, approvals, escalation and a failure policy. The graph
 * mixes chains with fan-outs and fan-ins: every tenth stage opens a group whose stages depend
 * on it, and the next group's head waits for the whole group.
 */
export function generatePlan(count: number, options: GenerateOptions = {}): string {
  const lines: string[] = [
    `name: generated-${count}`,
    // An anchor is outside the fast reader's subset: the yaml package reads such a plan.
    options.anchor ? 'owner: &owner deployment-lead' : 'owner: deployment-lead',
    'environment: factory',
    'labels: { generated: "true" }',
    'roles:',
  ];
  for (const role of ROLES) lines.push(`  ${role}: { members: [${role}-1, ${role}-2, ${role}-3] }`);
  lines.push(
    'metrics:',
    '  scrap-rate: { unit: "%", direction: lower-is-better }',
    '  throughput: { unit: parts/h, direction: higher-is-better, guardrail: true }',
    '  warranty-claims: { unit: ppm, direction: lower-is-better, kind: lagging }',
    ...siteLines(options.sites ?? 0),
    'prerequisites:',
    '  - { id: data-contract, kind: data-contract, title: Data contract, signedBy: data-engineer, evidence: "https://wiki.example.com/contract" }',
    '  - { id: integration-debt, kind: integration-debt-assessment, title: Integration debt assessment, signedBy: integration-architect }',
    '  - { id: training, kind: operator-training, title: Operator training, before: s-1, signedBy: training-coordinator }',
    'stages:',
  );
  for (let i = 0; i < count; i++) lines.push(...stageLines(i, count, options));
  return `${lines.join('\n')}\n`;
}

export type GenerateOptions = {
  /** anchor puts a YAML anchor in the plan. */
  anchor?: boolean;
  /** warnings makes every shadow stage too short, one lint warning each. */
  warnings?: boolean;
  /** sites declares that many sites (plant-0, plant-1, …), each with a time zone and an execution window, and spreads the stages' scopes over them. */
  sites?: number;
};

const TIME_ZONES = ['Europe/Berlin', 'Europe/Budapest', 'America/New_York', 'Asia/Kolkata', 'America/Mexico_City'] as const;

/** siteLines is the `sites:` map of count sites; none for 0. */
function siteLines(count: number): string[] {
  if (count === 0) return [];
  const lines = ['sites:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  plant-${i}:`,
      `    title: Plant ${i}`,
      `    timeZone: ${TIME_ZONES[i % TIME_ZONES.length]}`,
      '    executionWindows:',
      `      - { days: [mon, tue, wed, thu], from: "0${6 + (i % 3)}:00", to: "1${i % 3}:00", description: start of the early shift }`,
    );
  }
  return lines;
}

const ROLES = [
  'deployment-lead',
  'line-supervisor',
  'quality-engineer',
  'safety-officer',
  'training-coordinator',
  'production-manager',
  'plant-manager',
  'data-engineer',
  'integration-architect',
] as const;

const GROUP = 10;

function dependencies(i: number): number[] {
  if (i === 0) return [];
  if (i % GROUP === 0) return Array.from({ length: GROUP - 1 }, (_, k) => i - GROUP + 1 + k); // fan-in of the previous group
  if (i % GROUP === 1) return [i - 1]; // the head of the group
  return i % 3 === 0 ? [i - 1, i - (i % GROUP)] : [i - 1];
}

/** scopeSites are the sites stage i runs at: one of four, or, with many sites, a stretch of ten of them (one for a pilot or shadow stage). */
function scopeSites(i: number, sites: number, mode: string): string[] {
  const width = sites > 4 && (mode === 'supervised' || mode === 'autonomous') ? Math.min(10, sites) : 1;
  return Array.from({ length: width }, (_, k) => `plant-${(i * width + k) % sites}`);
}

function stageLines(i: number, count: number, options: GenerateOptions): string[] {
  const mode = i < count * 0.1 ? 'pilot' : i < count * 0.4 ? 'shadow' : i < count * 0.8 ? 'supervised' : 'autonomous';
  const deps = dependencies(i);
  const out = [
    `  - id: s-${i}`,
    `    title: Stage ${i} on line ${i % 7}`,
    `    mode: ${mode}`,
  ];
  if (deps.length > 0) out.push(`    dependsOn: [${deps.map((d) => `s-${d}`).join(', ')}]`);
  if (mode === 'supervised') out.push('    overrideAuthority: line-supervisor');
  out.push(
    `    scope: { sites: [${scopeSites(i, options.sites || 4, mode).join(', ')}], lines: [line-${i % 7}], shifts: [early, late] }`,
    `    minDuration: ${mode === 'shadow' && !options.warnings ? '6w' : '2w'}`,
    '    maxDuration: 26w',
    '    criteria:',
    '      - { metric: precision, threshold: 0.95, window: 14d, minSamples: 500, consecutive: 2 }',
    '      - { metric: scrap-rate, baseline: { window: 28d, maxRegression: 5% }, window: 14d }',
    '      - { metric: throughput, op: ">=", baseline: { window: 28d, maxRegression: 2% }, window: 7d }',
    '    approvals:',
    '      - { role: line-supervisor, count: 2 }',
    `      - { role: ${i % 2 === 0 ? 'quality-engineer' : 'plant-manager@plant-b'} }`,
    '    escalation:',
    '      - { after: 2d, action: escalate, to: production-manager }',
    '      - { after: 7d, action: hold }',
    `    onFailure: ${deps.length > 0 && i % 5 === 0 ? `{ rollback: s-${deps[0]} }` : 'hold'}`,
  );
  return out;
}
