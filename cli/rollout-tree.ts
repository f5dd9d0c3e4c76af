import type { Schemas } from '../client';
import type { ApiContext } from './api-command';

type Paint = ApiContext['paint'];

const stateColour = (state: string): Parameters<Paint>[0] =>
  state === 'passed' || state === 'completed' ? 'green' : state === 'held' || state === 'aborted' || state === 'failed' ? 'red' : state === 'awaiting-approval' ? 'yellow' : state === 'running' ? 'cyan' : 'dim';

/**
 * rolloutTree draws a rollout as `rollgate status` shows it: the rollout, its prerequisites,
 * then each stage with its state, its criteria verdicts, its waves and sites, and who it waits for.
 */
export function rolloutTree(rollout: Schemas['RolloutView'], paint: Paint): string[] {
  const state = (value: string) => paint(stateColour(value), value);
  const lines = [`${rollout.rolloutId}  ${rollout.plan} v${rollout.version}  ${state(rollout.state)}${rollout.heldReason ? ` (${rollout.heldReason})` : ''}`];
  for (const prerequisite of rollout.prerequisites) {
    const signed = prerequisite.signed ? paint('green', `signed by ${prerequisite.signed.by}`) : paint('yellow', `waits for ${prerequisite.signedBy}`);
    lines.push(`├ prerequisite ${prerequisite.id}: ${prerequisite.title}  ${signed}`);
  }
  rollout.stages.forEach((stage, index) => {
    const last = index === rollout.stages.length - 1;
    const branch = last ? '└' : '├';
    const pipe = last ? ' ' : '│';
    lines.push(`${branch} ${stage.id} (${stage.mode})  ${state(stage.state)}${stage.attempt > 1 ? `  attempt ${stage.attempt}` : ''}`);
    if (stage.hold) lines.push(`${pipe}   held: ${stage.hold.reason}`);
    for (const criterion of stage.evaluation?.criteria ?? []) {
      lines.push(`${pipe}   ${paint(criterion.verdict === 'pass' ? 'green' : criterion.verdict === 'fail' ? 'red' : 'yellow', criterion.verdict)} ${criterion.metric}: ${criterion.reason}`);
    }
    for (const wave of stage.waves ?? []) lines.push(`${pipe}   wave ${wave.number} ${state(wave.state)}: ${wave.sites.join(', ')}`);
    for (const site of stage.sites ?? []) lines.push(`${pipe}     site ${site.site} ${state(site.state)}${site.reason ? ` (${site.reason})` : ''}`);
    if (stage.state === 'awaiting-approval' || (stage.state === 'held' && stage.hold?.cause === 'rejected')) {
      const missing = stage.required
        .map(({ role, count }) => ({ role, needed: count - stage.approvals.filter((approval) => approval.role === role).length }))
        .filter((entry) => entry.needed > 0)
        .map((entry) => `${entry.needed} × ${entry.role}`);
      lines.push(`${pipe}   waits for sign-off: ${[...missing, ...stage.escalatedTo.map((role) => `${role} (escalated)`)].join(', ')}`);
    } else if (stage.state === 'held') {
      lines.push(`${pipe}   waits for a resolution (retry-window, rollback or abort) by a deployment-lead`);
    } else if (stage.state === 'running' && stage.endsNoEarlierThan) {
      lines.push(`${pipe}   passes no earlier than ${stage.endsNoEarlierThan}`);
    }
  });
  return lines;
}
