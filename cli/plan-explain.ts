import { formatDuration, parseDuration } from '../definitions/duration';
import { topologicalOrder } from '../definitions/graph';
import type { Deferral, EscalationStep, FailurePolicy, Plan, Scope, Stage } from '../definitions/schema';
import { criterionText, oneLine, plural, prerequisitesBefore, wavesText } from './plan-words';

/** The longest chain of stages by minimum duration: the soonest the whole rollout can pass. */
export type CriticalPath = { stages: string[]; totalMs: number };

/**
 * criticalPath finds the chain of dependent stages whose minimum durations add up to the most.
 * On ties the chain ends at the stage earliest in topological order and runs through the
 * dependency listed first, so the answer is stable.
 */
export function criticalPath(plan: Plan): CriticalPath {
  const byId = new Map(plan.stages.map((stage) => [stage.id, stage]));
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  let last: string | undefined;
  for (const id of topologicalOrder(plan.stages)) {
    const stage = byId.get(id)!;
    let start = 0;
    let before: string | undefined;
    for (const dep of stage.dependsOn) {
      const depFinish = finish.get(dep)!;
      if (before === undefined || depFinish > start) [start, before] = [depFinish, dep];
    }
    finish.set(id, start + (parseDuration(stage.minDuration) ?? 0));
    via.set(id, before);
    if (last === undefined || finish.get(id)! > finish.get(last)!) last = id;
  }
  const stages: string[] = [];
  for (let id = last; id !== undefined; id = via.get(id)) stages.unshift(id);
  return { stages, totalMs: last === undefined ? 0 : finish.get(last)! };
}

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
      out.push(`  - ${p.id} (${p.kind}): ${oneLine(p.title)}`, `    before ${before}; signed by ${p.signedBy}${membersText(plan, p.signedBy)}`);
    }
  }

  out.push('', 'Stages, in the order they can run:');
  topologicalOrder(plan.stages).forEach((id, i) => {
    const stage = plan.stages.find((s) => s.id === id)!;
    out.push('', `${i + 1}. ${stage.id}: ${oneLine(stage.title)}`);
    for (const [label, lines] of stageFacts(plan, stage)) {
      lines.forEach((line, j) => out.push(`   ${(j === 0 ? `${label}:` : '').padEnd(LABEL_WIDTH)}${line}`));
    }
  });

  const path = criticalPath(plan);
  const byId = new Map(plan.stages.map((stage) => [stage.id, stage]));
  const chain = path.stages.map((id) => `${id} (${byId.get(id)!.minDuration})`).join(' → ');
  const days = Math.round((path.totalMs / 86_400_000) * 10) / 10;
  out.push(
    '',
    `Earliest finish: ${formatInstant(new Date(start.getTime() + path.totalMs))}, when started ${formatInstant(start)}.`,
    `  Critical path: ${chain} = ${formatDuration(path.totalMs)} (${plural(days, 'day')}).`,
    '  Only minimum durations count; waiting for passing criteria and sign-offs, and feedback',
    '  cycles between waves, make it later.',
  );
  return `${out.join('\n')}\n`;
}

/** Labels of the stage facts are padded to this width, the longest (`prerequisites:`) plus a space. */
const LABEL_WIDTH = 15;

/** stageFacts are a stage's labelled lines, in reading order; empty facts are left out. */
function stageFacts(plan: Plan, stage: Stage): Array<[string, string[]]> {
  const facts: Array<[string, string[]]> = [];
  const add = (label: string, lines: string[]) => {
    if (lines.length > 0) facts.push([label, lines]);
  };
  add('after', stage.dependsOn.length === 0 ? [] : [stage.dependsOn.join(', ')]);
  add('prerequisites', prerequisitesBefore(plan, stage).map((p) => p.id));
  add('mode', [modeText(stage)]);
  add('scope', stage.scope === undefined ? [] : [scopeText(stage.scope)]);
  add('runs', [stage.maxDuration === undefined ? `at least ${stage.minDuration}` : `at least ${stage.minDuration}, at most ${stage.maxDuration}`]);
  if (stage.forEach !== undefined) add('waves', [`${wavesText(stage.forEach)}; a failing ${stage.forEach.over === 'sites' ? 'site' : 'line'}: ${siteFailureText[stage.forEach.onSiteFailure]}`]);
  add('criteria', stage.criteria.length === 0 ? ['none: the duration and the sign-off decide'] : stage.criteria.map((c) => criterionText(plan, c)));
  if (stage.criteria.length > 0 && stage.evaluationInterval !== undefined) add('evaluated', [`every ${stage.evaluationInterval}`]);
  add('sign-off', stage.approvals.map(({ role, count }) => `${count} × ${role}${membersText(plan, role)}`));
  add('escalation', stage.escalation.map((step) => escalationText(plan, step)));
  add('on failure', [failureText(stage.onFailure)]);
  if (stage.deferral !== undefined) add('deferral', deferralLines(plan, stage.deferral));
  return facts;
}

const siteFailureText = { halt: 'start no new ones', 'rollback-site': 'roll back that one only', 'abort-all': 'abort them all' } as const;

function modeText(stage: Stage): string {
  return stage.overrideAuthority === undefined ? stage.mode : `${stage.mode}, ${stage.overrideAuthority} may override the model`;
}

function scopeText(scope: Scope): string {
  return (['sites', 'lines', 'shifts', 'lanes', 'carriers'] as const)
    .flatMap((key) => (scope[key] === undefined ? [] : [`${key} ${scope[key].join(', ')}`]))
    .join('; ');
}

/** membersText names who holds a role under the plan's roles map; a scoped role falls back to its base role. */
function membersText(plan: Plan, role: string): string {
  if (plan.roles === undefined) return ': whoever holds the role on their token';
  const members = plan.roles[role]?.members ?? plan.roles[role.split('@')[0]!]?.members ?? [];
  return members.length === 0 ? '' : `: ${members.join(', ')}`;
}

function escalationText(plan: Plan, step: EscalationStep): string {
  if (step.action === 'escalate') return `after ${step.after}, escalate to ${step.to}${membersText(plan, step.to)}`;
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

/** formatInstant: the UTC date, with the time only when it is not midnight. */
export function formatInstant(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16)}Z`;
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
