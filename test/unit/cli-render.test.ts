import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlan } from '../../definitions/load';
import { criticalPath } from '../../definitions/schedule';
import type { Plan } from '../../definitions/schema';
import { explainPlan } from '../../cli/plan-explain';
import { renderDot, renderMermaid } from '../../cli/plan-graph';
import { criterionText, windowText } from '../../cli/plan-words';

/** A small plan with a diamond: pilot, then shadow and training side by side, then the rollout to every site. */
const yaml = `name: weld-inspection
owner: lead
environment: factory
description: >
  Weld seam inspection on the body shop lines.
roles:
  lead: { members: [ann] }
  supervisor: { members: [bo, cy, dee] }
  plant-manager: { members: [eve] }
metrics:
  weld-defect-escape-rate: { unit: ppm, direction: lower-is-better }
  throughput: { unit: "%", direction: higher-is-better, guardrail: true }
prerequisites:
  - { id: data-contract, kind: data-contract, title: Image data contract, signedBy: lead }
  - { id: debt-assessment, kind: integration-debt-assessment, title: "Line \\"7\\" integration", before: rollout, signedBy: supervisor }
stages:
  - id: pilot
    title: Pilot on line 7
    mode: pilot
    scope: { sites: [plant-a], lines: [line-7] }
    minDuration: 2w
    maxDuration: 4w
    criteria:
      - { metric: weld-defect-escape-rate, threshold: 50, window: 14d, minSamples: 200, consecutive: 3 }
    approvals: [{ role: lead }]
    onFailure: abort
  - id: shadow
    title: Shadow <all shifts>
    dependsOn: [pilot]
    mode: shadow
    minDuration: 6w
    criteria:
      - { metric: precision, threshold: 0.95, window: 14d }
      - { metric: throughput, baseline: { window: 4w, maxRegression: 2% }, window: 7d }
    approvals: [{ role: supervisor, count: 2 }, { role: lead }]
    escalation:
      - { after: 3d, action: escalate, to: plant-manager }
      - { after: 7d, action: hold }
  - id: training
    title: Operator training
    dependsOn: [pilot]
    mode: shadow
    minDuration: 4w
    criteria: [{ metric: precision, op: ">", threshold: 0.9, window: 7d }]
    approvals: [{ role: lead }]
  - id: rollout
    title: Site by site
    dependsOn: [shadow, training]
    mode: supervised
    overrideAuthority: supervisor
    scope: { sites: [plant-a, plant-b, plant-c] }
    forEach: { over: sites, waves: [1, rest], feedbackCycle: 2w }
    minDuration: 10d
    criteria: [{ metric: throughput, threshold: 98, window: 7d }]
    approvals: [{ role: plant-manager }]
    onFailure: { rollback: shadow }
`;

function load(text: string): Plan {
  const result = loadPlan(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

const plan = load(yaml);

describe('rollgate graph rendering', () => {
  it('writes a Mermaid flowchart with the gates in the labels', () => {
    expect(renderMermaid(plan)).toBe(`---
title: weld-inspection
---
flowchart TD
  s_pilot["Pilot on line 7<br/>pilot · min 2w<br/>sign-off: lead<br/>prerequisites: data-contract<br/>1 criterion"]
  s_shadow["Shadow #lt;all shifts#gt;<br/>shadow · min 6w<br/>sign-off: supervisor ×2, lead<br/>2 criteria"]
  s_training["Operator training<br/>shadow · min 4w<br/>sign-off: lead<br/>1 criterion"]
  subgraph s_rollout["Site by site<br/>supervised · min 10d per site<br/>sign-off per site: plant-manager<br/>prerequisites: debt-assessment<br/>1 criterion<br/>per site, waves 1 → rest, 2w apart"]
    direction LR
    w_rollout_1["wave 1<br/>plant-a"]
    w_rollout_2["wave 2<br/>plant-b, plant-c"]
    w_rollout_1 -->|"2w feedback, then sign-off: plant-manager"| w_rollout_2
  end
  s_pilot --> s_shadow
  s_pilot --> s_training
  s_shadow --> s_rollout
  s_training --> s_rollout
`);
  });

  it('writes a Graphviz digraph with escaped labels', () => {
    const quoted = load(yaml.replace('title: Operator training', 'title: \'Operator "hands-on" training\''));
    expect(renderDot(quoted)).toBe(`digraph "weld-inspection" {
  node [shape=box];
  compound=true;
  "pilot" [label="Pilot on line 7\\npilot · min 2w\\nsign-off: lead\\nprerequisites: data-contract\\n1 criterion"];
  "shadow" [label="Shadow <all shifts>\\nshadow · min 6w\\nsign-off: supervisor ×2, lead\\n2 criteria"];
  "training" [label="Operator \\"hands-on\\" training\\nshadow · min 4w\\nsign-off: lead\\n1 criterion"];
  subgraph "cluster_rollout" {
    label="Site by site\\nsupervised · min 10d per site\\nsign-off per site: plant-manager\\nprerequisites: debt-assessment\\n1 criterion\\nper site, waves 1 → rest, 2w apart";
    "rollout/wave-1" [label="wave 1\\nplant-a"];
    "rollout/wave-2" [label="wave 2\\nplant-b, plant-c"];
    "rollout/wave-1" -> "rollout/wave-2" [label="2w feedback, then sign-off: plant-manager"];
  }
  "pilot" -> "shadow";
  "pilot" -> "training";
  "shadow" -> "rollout/wave-1" [lhead="cluster_rollout"];
  "training" -> "rollout/wave-1" [lhead="cluster_rollout"];
}
`);
  });

  it('escapes what Mermaid would read as markup', () => {
    const tricky = load(yaml.replace('title: Pilot on line 7', 'title: \'Pilot "#7" on line\''));
    expect(renderMermaid(tricky).split('\n')[4]).toBe('  s_pilot["Pilot #quot;#35;7#quot; on line<br/>pilot · min 2w<br/>sign-off: lead<br/>prerequisites: data-contract<br/>1 criterion"]');
  });
});

describe('rollgate explain rendering', () => {
  it('puts criteria in words, with the operator from the metric direction', () => {
    expect(plan.stages.flatMap((stage) => stage.criteria.map((criterion) => criterionText(plan, criterion)))).toEqual([
      'weld-defect-escape-rate ≤ 50 ppm over 14d, ≥200 samples, 3 evaluations in a row',
      'precision ≥ 0.95 over 14d',
      'throughput at most 2% worse than in the 4w before the stage, over 7d',
      'precision > 0.9 over 7d',
      'throughput ≥ 98% over 7d',
    ]);
  });

  it('finds the critical path through the longer branch, counting every wave and feedback cycle of a per-site stage', () => {
    expect(criticalPath(plan)).toEqual({ stages: ['pilot', 'shadow', 'rollout'], totalMs: (14 + 42 + 10 + 14 + 10) * 86_400_000 });
  });

  it('describes the plan for the people who run it', () => {
    expect(explainPlan(plan, new Date('2026-12-01T00:00:00Z'))).toBe(`Plan weld-inspection (factory, owner lead)
  Weld seam inspection on the body shop lines.
  Sign-offs come from distinct people; the person who starts the rollout may not sign off.

Prerequisites, signed off before a stage can start:
  - data-contract (data-contract): Image data contract
    before the rollout; signed by lead: ann
  - debt-assessment (integration-debt-assessment): Line "7" integration
    before rollout; signed by supervisor: bo, cy, dee

Stages, in the order they can run:

1. pilot: Pilot on line 7
   prerequisites: data-contract
   mode:          pilot
   scope:         sites plant-a; lines line-7
   runs:          at least 2w, at most 4w
   criteria:      weld-defect-escape-rate ≤ 50 ppm over 14d, ≥200 samples, 3 evaluations in a row
   evaluated:     every 1h
   sign-off:      1 × lead: ann
   on failure:    abort the rollout

2. shadow: Shadow <all shifts>
   after:         pilot
   mode:          shadow
   runs:          at least 6w
   criteria:      precision ≥ 0.95 over 14d
                  throughput at most 2% worse than in the 4w before the stage, over 7d
   evaluated:     every 1h
   sign-off:      2 × supervisor: bo, cy, dee
                  1 × lead: ann
   escalation:    after 3d, escalate to plant-manager: eve
                  after 7d, hold the rollout
   on failure:    hold: the stage is held until a person decides

3. training: Operator training
   after:         pilot
   mode:          shadow
   runs:          at least 4w
   criteria:      precision > 0.9 over 7d
   evaluated:     every 1h
   sign-off:      1 × lead: ann
   on failure:    hold: the stage is held until a person decides

4. rollout: Site by site
   after:         shadow, training
   prerequisites: debt-assessment
   mode:          supervised, supervisor@<site> may override the model
   scope:         sites plant-a, plant-b, plant-c
   runs:          at least 10d, at each site
   waves:         per site, waves 1 → rest, 2w apart; a failing site: start no new ones
                  wave 1: plant-a; earliest 2027-01-26 → 2027-02-05
                  wave 2: plant-b, plant-c; earliest 2027-02-19 → 2027-03-01
   wave sign-off: before each wave after the first (the stage's approvals):
                    1 × plant-manager: eve
   windows:       any time: the plan has no sites catalog
   criteria:      throughput ≥ 98% over 7d
   evaluated:     every 1h
   sign-off:      at each site, by distinct people:
                    plant-a: 1 × plant-manager@plant-a: eve
                    plant-b: 1 × plant-manager@plant-b: eve
                    plant-c: 1 × plant-manager@plant-c: eve
   on failure:    roll back to shadow

Earliest finish: 2027-03-01, when started 2026-12-01.
  Critical path: pilot (2w) → shadow (6w) → rollout (2 waves, 4w6d) = 12w6d (90 days).
  Only minimum durations and feedback cycles count; waiting for passing criteria, sign-offs
  and execution windows makes it later.
`);
  });

  it('names token roles when the plan has no roles map, and gives a time when the finish is not at midnight', () => {
    const bare = load(`name: bare
owner: lead
allowSelfApproval: true
stages:
  - id: only
    title: Only
    mode: pilot
    minDuration: 36h
    criteria: []
    approvals: [{ role: lead }]
    lint: { ignore: [{ rule: no-exit-criterion, reason: a smoke test }] }
`);
    const text = explainPlan(bare, new Date('2026-12-01T00:00:00Z'));
    expect(text).toContain('\n   sign-off:      1 × lead: whoever holds the role on their token\n');
    expect(text).toContain('\n   criteria:      none: the duration and the sign-off decide\n');
    expect(text).toContain('the person who starts the rollout may sign off too.');
    expect(text).toContain('Earliest finish: 2026-12-02T12:00Z, when started 2026-12-01.');
    expect(text).toContain('Critical path: only (36h) = 1d12h (1.5 days).');
  });
});

describe('per-site and steady-state stages', () => {
  const sited = load(readFileSync(join(__dirname, '../fixtures/plans/valid/sites-and-waves.yaml'), 'utf8'));

  it('draws the waves of a per-site stage in a subgraph and a steady-state stage as a hexagon (Mermaid)', () => {
    const drawn = renderMermaid(sited).split('\n');
    expect(drawn.slice(5, 11)).toEqual([
      '  subgraph s_plants["Plant by plant<br/>supervised · min 4w per site<br/>sign-off per site: plant-manager<br/>prerequisites: training per site<br/>1 criterion<br/>per site, waves 1 → rest, 2w apart"]',
      '    direction LR',
      '    w_plants_1["wave 1<br/>plant-a"]',
      '    w_plants_2["wave 2<br/>plant-b, plant-c"]',
      '    w_plants_1 -->|"2w feedback, then sign-off: deployment-lead"| w_plants_2',
      '  end',
    ]);
    expect(drawn[11]).toMatch(/^ {2}s_steady_state\{\{"Steady-state governance<br\/>.*<br\/>steady state: review every 4w, retrain every 13w, horizon 52w"\}\}$/);
    expect(drawn.slice(12, 14)).toEqual(['  s_shadow --> s_plants', '  s_plants --> s_steady_state']);
  });

  it('draws a per-site stage as a cluster whose edges end at its first and last wave (dot)', () => {
    const drawn = renderDot(sited);
    expect(drawn).toContain('  subgraph "cluster_plants" {\n    label="Plant by plant\\nsupervised · min 4w per site');
    expect(drawn).toContain('    "plants/wave-1" -> "plants/wave-2" [label="2w feedback, then sign-off: deployment-lead"];\n  }\n');
    expect(drawn).toContain('  "shadow" -> "plants/wave-1" [lhead="cluster_plants"];\n  "plants/wave-2" -> "steady-state" [ltail="cluster_plants"];\n');
    expect(drawn).toMatch(/"steady-state" \[label="[^"]*horizon 52w", shape=hexagon\];/);
  });

  it('explains waves with dates, sign-off and prerequisites at each site, windows, and the review calendar', () => {
    const text = explainPlan(sited, new Date('2026-12-01T00:00:00Z'));
    expect(text).toContain(`  - training (operator-training): Operators trained at the site
    before each site of plants, signed there by:
      plant-a: trainer@plant-a: trainer-1
      plant-b: trainer@plant-b: trainer-1
      plant-c: trainer@plant-c: trainer-1
`);
    expect(text).toContain(`   prerequisites: training, at each site
   mode:          supervised, deployment-lead@<site> may override the model
   scope:         sites plant-a, plant-b, plant-c
   runs:          at least 4w, at each site
   waves:         per site, waves 1 → rest, 2w apart; a failing site: roll back that one only
                  wave 1: plant-a; earliest 2026-12-29 → 2027-01-26
                  wave 2: plant-b, plant-c; earliest 2027-02-09 → 2027-03-09
   wave sign-off: before each wave after the first:
                    1 × deployment-lead: lead
   windows:       plant-a (Europe/Berlin): mon–fri 06:00–14:00 (early shift)
                  plant-b (America/Chicago): fri 22:00–06:00 next day (night shift into Saturday)
                  plant-c (Asia/Kolkata): any time
`);
    expect(text).toContain(`   sign-off:      at each site, by distinct people:
                    plant-a: 1 × plant-manager@plant-a: manager-a
                    plant-b: 1 × plant-manager@plant-b: manager-b
                    plant-c: 1 × plant-manager@plant-c: manager-c
`);
    expect(text).toContain(`   reviews:       every 4w: 2027-04-06, 2027-05-04, 2027-06-01, … (12 reviews before the horizon), signed off by
                    1 × deployment-lead: lead
   retraining:    every 13w, first due 2027-06-08, reminding data-scientist: scientist
   horizon:       52w: warranty-claims judged from 2028-03-07; until then the verdict is too-early
`);
    expect(text).toContain('  Critical path: shadow (4w) → plants (2 waves, 10w) → steady-state (52w) = 66w (462 days).');
  });

  it('writes days in a row as a range, and scopes escalation of a per-site stage to the site', () => {
    expect(windowText({ days: ['sat', 'mon', 'tue', 'wed', 'fri'], from: '22:00', to: '22:00' })).toBe('mon–wed, fri, sat 22:00–22:00 next day');
    expect(windowText({ days: ['sun', 'mon', 'tue', 'wed', 'thu'], from: '22:00', to: '06:00', description: 'night shift' })).toBe('sun–thu 22:00–06:00 next day (night shift)');
    expect(windowText({ days: ['fri', 'sat', 'sun', 'mon'], from: '06:00', to: '14:00' })).toBe('fri–mon 06:00–14:00');
    const escalating = load(readFileSync(join(__dirname, '../fixtures/plans/valid/sites-and-waves.yaml'), 'utf8').replace(
      '    approvals: [{ role: plant-manager }]\n',
      '    approvals: [{ role: plant-manager }]\n    escalation: [{ after: 2d, action: escalate, to: deployment-lead }]\n',
    ));
    expect(explainPlan(escalating, new Date('2026-12-01T00:00:00Z'))).toContain('\n   escalation:    after 2d, escalate to deployment-lead@<site>\n');
  });
});
