import type { Schemas } from '../../client';
import { unwrap } from '../../client';
import { API_OPTIONS_USAGE, needArgs, runApiCommand, type ApiContext } from '../api-command';
import { usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';

export const DECISIONS_USAGE = `usage:
  rollgate decisions list ROLLOUT-ID [--state STATE]
                            the rollout's decisions, oldest first; STATE is auto, shadow,
                            pending, resolved or timed-out
  rollgate decisions show ROLLOUT-ID DECISION-ID
                            one decision: its recommendation, disposition and state
  rollgate decisions resolve ROLLOUT-ID DECISION-ID --action accept|modify|reject
                            [--payload JSON] [--comment TEXT]
                            settle a decision deferred to one of your roles; modify needs
                            the changed decision as --payload

${API_OPTIONS_USAGE}

exit status: 0 done, 1 the API refused (its problem is printed), 2 usage, 3 no server or unreachable`;

const RESOLUTIONS = ['accept', 'modify', 'reject'] as const;

export function decisionsCommand(args: string[], io: CommandIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') {
    return runApiCommand('decisions list', rest, { state: { type: 'string' } }, DECISIONS_USAGE, io, async ({ values, positionals }, context) => {
      if (!needArgs('decisions list', positionals, ['ROLLOUT-ID'], io)) return ExitCode.usage;
      const decisions: Schemas['DecisionView'][] = [];
      let after: number | undefined;
      do {
        const query = { rolloutId: positionals[0]!, ...(values.state ? { state: String(values.state) } : {}), ...(after !== undefined ? { after } : {}) };
        const page = unwrap(await context.client.GET('/v1/decisions', { params: { query: query as never } }));
        decisions.push(...page.decisions);
        after = page.next ?? undefined;
      } while (after !== undefined);
      if (context.json) io.out(JSON.stringify({ decisions }));
      else {
        if (decisions.length === 0) io.err(`rollout ${positionals[0]} has no decisions${values.state ? ` in state ${String(values.state)}` : ''}`);
        for (const decision of decisions) io.out(summary(decision).join('\t'));
      }
      return ExitCode.ok;
    });
  }
  if (action === 'show') {
    return runApiCommand('decisions show', rest, {}, DECISIONS_USAGE, io, async ({ positionals }, context) => {
      if (!needArgs('decisions show', positionals, ['ROLLOUT-ID', 'DECISION-ID'], io)) return ExitCode.usage;
      const decision = await getDecision(context, positionals[0]!, positionals[1]!);
      if (decision === undefined) return ExitCode.failed;
      if (context.json) io.out(JSON.stringify(decision));
      else for (const line of details(decision)) io.out(line);
      return ExitCode.ok;
    });
  }
  if (action === 'resolve') {
    const options = { action: { type: 'string' }, payload: { type: 'string' }, comment: { type: 'string', short: 'm' } } as const;
    return runApiCommand('decisions resolve', rest, options, DECISIONS_USAGE, io, async ({ values, positionals }, context) => {
      if (!needArgs('decisions resolve', positionals, ['ROLLOUT-ID', 'DECISION-ID'], io)) return ExitCode.usage;
      const resolution = String(values.action ?? '');
      if (!(RESOLUTIONS as readonly string[]).includes(resolution)) {
        return usageError('decisions resolve', `--action is ${RESOLUTIONS.join(', ')}${values.action === undefined ? '' : `, not ${resolution}`}`, io);
      }
      let payload: unknown;
      if (values.payload !== undefined) {
        try {
          payload = JSON.parse(String(values.payload));
        } catch {
          return usageError('decisions resolve', '--payload is JSON, the changed decision', io);
        }
      }
      const [rolloutId, decisionId] = positionals as [string, string];
      // The resolution route is by decision alone: check first that it is the rollout's.
      if ((await getDecision(context, rolloutId, decisionId)) === undefined) return ExitCode.failed;
      const body = {
        resolution: resolution as (typeof RESOLUTIONS)[number],
        ...(payload !== undefined ? { payload } : {}),
        ...(values.comment ? { reason: String(values.comment) } : {}),
      };
      const settled = unwrap(await context.client.POST('/v1/decisions/{decisionId}/resolution', { params: { path: { decisionId } }, body: body as never }));
      if (context.json) io.out(JSON.stringify(settled));
      else io.out(`resolved decision ${decisionId} of rollout ${rolloutId} (${resolution}): it is now ${settled.state}`);
      return ExitCode.ok;
    });
  }
  if (action === '--help' || action === '-h') {
    io.out(DECISIONS_USAGE);
    return Promise.resolve(ExitCode.ok);
  }
  return Promise.resolve(
    usageError('decisions', action === undefined ? 'give list, show or resolve' : `unknown action "${action}"; the actions are list, show, resolve`, io),
  );
}

/** getDecision reads a decision and checks it belongs to the rollout; undefined after saying it does not. */
async function getDecision(context: ApiContext, rolloutId: string, decisionId: string): Promise<Schemas['DecisionView'] | undefined> {
  const decision = unwrap(await context.client.GET('/v1/decisions/{decisionId}', { params: { path: { decisionId } } }));
  if (decision.rolloutId === rolloutId) return decision;
  context.io.err(`rollgate decisions: decision ${decisionId} is of rollout ${decision.rolloutId}, not ${rolloutId}`);
  return undefined;
}

function summary(decision: Schemas['DecisionView']): string[] {
  return [decision.decisionId, decision.stageId, decision.kind, decision.disposition, decision.state, decision.deferTo ?? '-', decision.decideBy];
}

function details(decision: Schemas['DecisionView']): string[] {
  return [
    `decision ${decision.decisionId} of rollout ${decision.rolloutId}, stage ${decision.stageId} (${decision.stageMode}, plan version ${decision.planVersion})`,
    `  ${decision.kind}, confidence ${decision.confidence}${decision.threshold === null ? '' : ` against threshold ${decision.threshold}`}${decision.irreversible ? ', irreversible' : ''}`,
    `  ${decision.disposition}, ${decision.state}${decision.deferTo ? `: waits for ${decision.deferTo} until ${decision.decideBy}` : ''}${decision.safeDefault ? `, safe default ${decision.safeDefault}` : ''}`,
    `  recommendation: ${JSON.stringify(decision.recommendation)}`,
    `  requested by ${decision.requestedBy} at ${decision.createdAt}`,
  ];
}
