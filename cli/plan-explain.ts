import { formatDuration } from '../definitions/duration';
import type { Deferral, EscalationStep, FailurePolicy, Plan, Scope, Stage } from '../definitions/schema';
import { siteRole } from '../definitions/sites';
import { criticalPath, earliestStarts } from '../definitions/schedule';
import { forEachFacts, perSitePrerequisiteLines, spanText, steadyStateFacts, type Facts } from './plan-explain-sites';
import { criterionText, formatInstant, membersText, oneLine, plural, prerequisitesBefore } from './plan-words';

/**
 * explainPlan describes a valid plan in words for the people who will run it: the prerequisites,
 * each stage in the order it can run with its gates, and the earliest date the rollout can
 * finish when it starts at `start`.
 */
export function explainPlan(plan: Plan, start: Date): string {
  const out: string[] = [];
  const about = [plan.environment, `owner ${plan.owner}`].filter(Boolean).join(', ');
  out.push(`Plan ${plan.name} (${about})`);
  if (plan.description !== undefined) out.push(...wrap(oneLine(plan.description), 94).map((line) => `  ${line}`));
  out.push(
    plan.allowSelfApproval
      ? '  Sign-offs come from distinct people; the person who starts the rollout may sign off too.'
      : '  Sign-offs come from distinct people; the person who starts the rollout may not sign off.',
  );

  if (plan.prerequisites.length > 0) {
    out.push('', 'Prerequisites, signed off before a stage can start:');
    for (const p of plan.prerequisites) {
      const before = p.before === undefined ? 'the rollout' : p.before;
      out.push(`  - ${p.id} (${p.kind}): ${oneLine(p.title)}`);
      if (p.perSite) out.push(...perSitePrerequisiteLines(plan, p).map((line) => `    ${line}`));
      else out.push(`    before ${before}; signed by ${p.signedBy}${membersText(plan, p.signedBy)}`);
    }
  }

  out.push('', 'Stages, in the order they can run:');
  const byId = new Map(plan.stages.map((stage) => [stage.id, stage]));
  const schedule = earliestStarts(plan.stages);
  schedule.order.forEach((id, i) => {
    const stage = byId.get(id)!;
    out.push('', `${i + 1}. ${stage.id}: ${oneLine(stage.title)}`);
    for (const [label, lines] of stageFacts(plan, stage, start.getTime() + schedule.start.get(id)!)) {
      lines.forEach((line, j) => out.push(`   ${(j === 0 ? `${label}:` : '').padEnd(LABEL_WIDTH)}${line}`));
    }
  });

  const path = criticalPath(plan, schedule);
  const chain = path.stages.map((id) => `${id} (${spanText(byId.get(id)!)})`).join(' → ');
  const days = Math.round((path.totalMs / 86_400_000) * 10) / 10;
  out.push(
    '',
    `Earliest finish: ${formatInstant(new Date(start.getTime() + path.totalMs))}, when started ${formatInstant(start)}.`,
    `  Critical path: ${chain} = ${formatDuration(path.totalMs)} (${plural(days, 'day')}).`,
    '  Only minimum durations and feedback cycles count; waiting for passing criteria, sign-offs',
    '  and execution windows makes it later.',
  );
  return `${out.join('\n')}\n`;
}

/** Labels of the stage facts are padded to this width, the longest (`prerequisites:`) plus a space. */
const LABEL_WIDTH = 15;

/**
 * stageFacts are a stage's labelled lines, in reading order; empty facts are left out. startMs
 * is the stage's earliest start, for the dates of its waves and reviews. The roles of a per-site
 * stage are scoped to each site, as its site runs use them.
 */
function stageFacts(plan: Plan, stage: Stage, startMs: number): Facts {
  const facts: Facts = [];
  const add = (label: string, lines: string[]) => {
    if (lines.length > 0) facts.push([label, lines]);
  };
  const perSite = forEachFacts(plan, stage, startMs);
  const scoped = (role: string) => (stage.forEach === undefined ? role : siteRole(role, SITE));
  add('after', stage.dependsOn.length === 0 ? [] : [stage.dependsOn.join(', ')]);
  add('prerequisites', prerequisitesBefore(plan, stage).map((p) => (p.perSite ? `${p.id}, at each site` : p.id)));
  add('mode', [stage.overrideAuthority === undefined ? stage.mode : `${stage.mode}, ${scoped(stage.overrideAuthority)} may override the model`]);
  add('scope', stage.scope === undefined ? [] : [scopeText(stage.scope)]);
  const runs = stage.maxDuration === undefined ? `at least ${stage.minDuration}` : `at least ${stage.minDuration}, at most ${stage.maxDuration}`;
  add('runs', [stage.forEach === undefined ? runs : `${runs}, at each site`]);
  add('waves', perSite?.waves ?? []);
  add('wave sign-off', perSite?.waveSignOff ?? []);
  add('windows', perSite?.windows ?? []);
  for (const fact of steadyStateFacts(plan, stage, startMs)) add(...fact);
  add('criteria', stage.criteria.length === 0 ? ['none: the duration and the sign-off decide'] : stage.criteria.map((c) => criterionText(plan, c)));
  if (stage.criteria.length > 0 && stage.evaluationInterval !== undefined) add('evaluated', [`every ${stage.evaluationInterval}`]);
  add('sign-off', perSite?.signOff ?? stage.approvals.map(({ role, count }) => `${count} × ${role}${membersText(plan, role)}`));
  add('escalation', stage.escalation.map((step) => escalationText(plan, step, scoped)));
  add('on failure', [failureText(stage.onFailure)]);
  if (stage.deferral !== undefined) add('deferral', deferralLines(plan, stage.deferral));
  return facts;
}

/** SITE stands for each site in the roles of a per-site stage: `plant-manager@<site>`. */
const SITE = '<site>';

function scopeText(scope: Scope): string {
  return (['sites', 'lines', 'shifts', 'lanes', 'carriers'] as const)
    .flatMap((key) => (scope[key] === undefined ? [] : [`${key} ${scope[key].join(', ')}`]))
    .join('; ');
}

function escalationText(plan: Plan, step: EscalationStep, scoped: (role: string) => string): string {
  if (step.action === 'escalate') {
    const to = scoped(step.to);
    return `after ${step.after}, escalate to ${to}${to.endsWith(SITE) ? '' : membersText(plan, to)}`;
  }
  return `after ${step.after}, ${step.action} the rollout`;
}

function failureText(policy: FailurePolicy): string {
  if (policy === 'hold') return 'hold: the stage is held until a person decides';
  if (policy === 'abort') return 'abort the rollout';
  return `roll back to ${policy.rollback}`;
}

function deferralLines(plan: Plan, deferral: Deferral): string[] {
  const parts: string[] = [];
  if (deferral.confidenceThreshold !== undefined) parts.push(`below confidence ${deferral.confidenceThreshold} a human decides`);
  if (deferral.deferTo !== undefined) parts.push(`deferred to ${deferral.deferTo}${membersText(plan, deferral.deferTo)}`);
  if (deferral.irreversible) parts.push('decisions are irreversible');
  const deadline = deferral.decisionDeadline === undefined ? 'when nobody decides in time' : `when nobody decides within ${deferral.decisionDeadline}`;
  parts.push(`${deadline}: ${deferral.safeDefault}`);
  return parts;
}

/** wrap breaks text into lines of at most `width` characters at spaces; longer words stand alone. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
